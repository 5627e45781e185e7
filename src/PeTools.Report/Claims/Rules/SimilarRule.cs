using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>similar(task=T,a=A,b=B,tol=X)</c>: the mean final test accuracies of A and B differ by at most X;
/// inconclusive when the difference is within noise of X.</summary>
public sealed class SimilarRule(string task, string a, string b, double tol) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        var (sa, sb) = (RuleSupport.Accuracy(d, task, a), RuleSupport.Accuracy(d, task, b));
        double diff = Math.Abs(sa.Mean - sb.Mean), noise = RuleSupport.Noise(sa, sb);
        var ours = $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}";
        if (Math.Abs(diff - tol) < noise) return RuleSupport.WithinNoise($"|{a} − {b}| against {RuleSupport.Num(tol)} on {task}", diff - tol, noise, ours);
        return Verdict.Of(diff <= tol, ours,
            $"|{a} − {b}| = {RuleSupport.Num(diff)} on {task} ({(diff <= tol ? "≤" : ">")} {RuleSupport.Num(tol)})");
    }
}
