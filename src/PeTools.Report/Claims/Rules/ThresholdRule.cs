using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>below(task=T,pe=P,value=V)</c> / <c>above(...)</c>: P's mean final test accuracy is below / at least V.</summary>
public sealed class ThresholdRule(string task, string pe, double value, bool below) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, pe)) return RuleSupport.NoRuns(task, pe);
        double mean = RuleSupport.Accuracy(d, task, pe).Mean;
        bool holds = below ? mean < value : mean >= value;
        return Verdict.Of(holds, RuleSupport.Show(d, task, pe),
            $"{pe} on {task}: {RuleSupport.Num(mean)} {(holds == below ? "<" : "≥")} {RuleSupport.Num(value)}");
    }
}
