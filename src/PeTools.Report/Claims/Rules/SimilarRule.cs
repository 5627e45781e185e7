using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>similar(task=T,a=A,b=B,tol=X)</c>: the mean final test accuracies of A and B differ by at most X.</summary>
public sealed class SimilarRule(string task, string a, string b, double tol) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        double diff = Math.Abs(RuleSupport.Accuracy(d, task, a).Mean - RuleSupport.Accuracy(d, task, b).Mean);
        return Verdict.Of(diff <= tol, $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}",
            $"|{a} − {b}| = {RuleSupport.Num(diff)} on {task} ({(diff <= tol ? "≤" : ">")} {RuleSupport.Num(tol)})");
    }
}
