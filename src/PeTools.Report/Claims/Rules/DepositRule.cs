using System.Globalization;
using PeTools.Core.Heads;
using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>deposit(task=T,pe=P[,layers=first])</c>: in most of P's seeds some selected layer is labelled deposit
/// (one head carries the layer: top drop ≥ 0.2 and ≥ half of all positive drops). <c>no_deposit(task=T,pe=P[,layers=all])</c>:
/// in most seeds no selected layer is. A tie between seeds is inconclusive.
/// </summary>
public sealed class DepositRule(string task, string pe, LayerSelector layers, bool present) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var runs = d.AblationsOf(task, pe);
        if (runs.Count == 0) return RuleSupport.NoAblation(task, pe);
        var withDeposit = runs.Select(r => (Run: r, Layers: layers.Resolve(r.Layers).Where(l => r.Layer(l).Pattern == DepositPattern.Deposit).ToList())).ToList();
        var vote = (Count: withDeposit.Count(x => present ? x.Layers.Count > 0 : x.Layers.Count == 0), Of: runs.Count);
        var found = withDeposit.Where(x => x.Layers.Count > 0)
            .Select(x => $"s{x.Run.Run.Seed.ToString(CultureInfo.InvariantCulture)}: " + string.Join(", ", x.Layers.Select(l =>
                $"layer {l} head {x.Run.Layer(l).TopHead} drop {RuleSupport.Num(x.Run.Layer(l).TopDrop)}")));
        int deposits = withDeposit.Count(x => x.Layers.Count > 0);
        var ours = $"{pe}: a deposit in layers {Describe(layers, runs[0].Layers)} in {deposits}/{runs.Count} seeds" +
                   (deposits > 0 ? $" ({string.Join("; ", found)})" : "");
        return RuleSupport.Vote(vote, ours, $"of {pe} on {task} show {(present ? "a deposit" : "none")} there");
    }

    internal static string Describe(LayerSelector s, int layers) =>
        $"{s} = {{{string.Join(",", s.Resolve(layers))}}}";
}
