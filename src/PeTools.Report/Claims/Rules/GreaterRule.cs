using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>greater(task=T,a=A,b=B[,margin=M])</c>: A's mean final test accuracy exceeds B's by more than M
/// (default 0); inconclusive when the difference from M is within noise (<see cref="RuleSupport.Noise"/>).</summary>
public sealed class GreaterRule(string task, string a, string b, double margin) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        var (sa, sb) = (RuleSupport.Accuracy(d, task, a), RuleSupport.Accuracy(d, task, b));
        double diff = sa.Mean - sb.Mean, noise = RuleSupport.Noise(sa, sb);
        var ours = $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}";
        if (Math.Abs(diff - margin) < noise) return RuleSupport.WithinNoise($"{a} − {b} against {RuleSupport.Num(margin)} on {task}", diff - margin, noise, ours);
        return Verdict.Of(diff > margin, ours,
            $"{a} − {b} = {RuleSupport.Num(diff)} on {task} ({(diff > margin ? ">" : "≤")} {RuleSupport.Num(margin)})");
    }
}
