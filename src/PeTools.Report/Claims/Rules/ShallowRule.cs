using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>shallow(task=T,pe=P)</c>: the deposit is confined to shallow layers: in most of P's seeds the layer with
/// the largest single-head drop is in the shallow half, and the last layer has no head whose drop reaches the deposit threshold.
/// </summary>
public sealed class ShallowRule(string task, string pe) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var runs = d.AblationsOf(task, pe);
        if (runs.Count == 0) return RuleSupport.NoAblation(task, pe);
        if (runs[0].Layers < 2) return Verdict.Inconclusive($"{pe} on {task} has one layer: no shallow vs deep");
        var shallow = new LayerSelector("shallow");
        bool Holds(RunAblation r)
        {
            int top = Enumerable.Range(0, r.Layers).MaxBy(l => r.Layer(l).TopDrop);
            return shallow.Resolve(r.Layers).Contains(top) && r.Layer(r.Layers - 1).TopDrop < RunAblation.Thresholds.DepositDrop;
        }
        var vote = RuleSupport.Vote(runs, Holds);
        var ours = string.Join("; ", runs.Select(r =>
            $"s{r.Run.Seed}: top drop per layer {string.Join("/", Enumerable.Range(0, r.Layers).Select(l => RuleSupport.Num(r.Layer(l).TopDrop, 2)))}"));
        return RuleSupport.Vote(vote, $"{pe}: {ours}",
            $"have their largest drop in the shallow half and the last layer below {RuleSupport.Num(RunAblation.Thresholds.DepositDrop)}");
    }
}
