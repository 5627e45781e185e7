using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>margin_grows(task=T,pe=P)</c>: paper Thm 6.1's Margin_l (top minus runner-up single-head drop) is largest in
/// layer 0 and larger there than in the last layer, in most of P's seeds (final models).
/// </summary>
public sealed class MarginRule(string task, string pe) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var runs = d.AblationsOf(task, pe);
        if (runs.Count == 0) return RuleSupport.NoAblation(task, pe);
        if (runs[0].Layers < 2) return Verdict.Inconclusive($"{pe} on {task} has one layer: no margin to compare");
        static double[] Margins(RunAblation r) => Enumerable.Range(0, r.Layers).Select(l => r.Layer(l).Margin).ToArray();
        var vote = RuleSupport.Vote(runs, r => Margins(r) is var m && m[0] >= m.Max() && m[0] > m[^1]);
        var ours = string.Join("; ", runs.Select(r => $"s{r.Run.Seed}: margin per layer {string.Join("/", Margins(r).Select(m => RuleSupport.Num(m, 3)))}"));
        return RuleSupport.Vote(vote, $"{pe}: {ours}", "have their largest margin in layer 0");
    }
}
