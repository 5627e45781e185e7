using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>below(task=T,pe=P,value=V)</c> / <c>above(...)</c>: P's mean final test accuracy is below / at least V;
/// inconclusive when the mean is within noise of V.</summary>
public sealed class ThresholdRule(string task, string pe, double value, bool below) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, pe)) return RuleSupport.NoRuns(task, pe);
        var s = RuleSupport.Accuracy(d, task, pe);
        double mean = s.Mean, noise = RuleSupport.Noise(s, s with { Std = 0, N = 1 });
        if (Math.Abs(mean - value) < noise) return RuleSupport.WithinNoise($"{pe} against {RuleSupport.Num(value)} on {task}", mean - value, noise, RuleSupport.Show(d, task, pe));
        bool holds = below ? mean < value : mean >= value;
        return Verdict.Of(holds, RuleSupport.Show(d, task, pe),
            $"{pe} on {task}: {RuleSupport.Num(mean)} {(holds == below ? "<" : "≥")} {RuleSupport.Num(value)}");
    }
}
