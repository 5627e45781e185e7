using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>ratio_above(task=T,a=A,b=B,value=V)</c>: A's mean final test accuracy is at least V times B's.</summary>
public sealed class RatioRule(string task, string a, string b, double value) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        double denominator = RuleSupport.Accuracy(d, task, b).Mean;
        if (!(denominator > 0)) return Verdict.Inconclusive($"{b} has accuracy 0 on {task}: no ratio");
        double ratio = RuleSupport.Accuracy(d, task, a).Mean / denominator;
        return Verdict.Of(ratio >= value, $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}",
            $"{a} / {b} = {RuleSupport.Num(ratio)} on {task} ({(ratio >= value ? "≥" : "<")} {RuleSupport.Num(value)})");
    }
}
