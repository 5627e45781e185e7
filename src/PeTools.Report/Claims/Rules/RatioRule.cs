using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>ratio_above(task=T,a=A,b=B,value=V)</c>: A's mean final test accuracy is at least V times B's;
/// inconclusive when A is within noise of V × B.</summary>
public sealed class RatioRule(string task, string a, string b, double value) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        var (sa, sb) = (RuleSupport.Accuracy(d, task, a), RuleSupport.Accuracy(d, task, b));
        if (!(sb.Mean > 0)) return Verdict.Inconclusive($"{b} has accuracy 0 on {task}: no ratio");
        double ratio = sa.Mean / sb.Mean;
        var ours = $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}";
        // A's distance from the line value × B, against the noise of both means (B's scaled by value).
        double noise = RuleSupport.Noise(sa, sb with { Std = sb.Std * value });
        if (Math.Abs(sa.Mean - value * sb.Mean) < noise)
            return RuleSupport.WithinNoise($"{a} against {RuleSupport.Num(value)} × {b} on {task} (ratio {RuleSupport.Num(ratio)})", sa.Mean - value * sb.Mean, noise, ours);
        return Verdict.Of(ratio >= value, ours,
            $"{a} / {b} = {RuleSupport.Num(ratio)} on {task} ({(ratio >= value ? "≥" : "<")} {RuleSupport.Num(value)})");
    }
}
