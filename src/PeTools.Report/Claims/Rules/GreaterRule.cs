using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>greater(task=T,a=A,b=B[,margin=M])</c>: A's mean final test accuracy exceeds B's by more than M (default 0).</summary>
public sealed class GreaterRule(string task, string a, string b, double margin) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        if (!RuleSupport.HasRuns(d, task, a) || !RuleSupport.HasRuns(d, task, b)) return RuleSupport.NoRuns(task, a, b);
        double diff = RuleSupport.Accuracy(d, task, a).Mean - RuleSupport.Accuracy(d, task, b).Mean;
        return Verdict.Of(diff > margin, $"{RuleSupport.Show(d, task, a)} vs {RuleSupport.Show(d, task, b)}",
            $"{a} − {b} = {RuleSupport.Num(diff)} on {task} ({(diff > margin ? ">" : "≤")} {RuleSupport.Num(margin)})");
    }
}
