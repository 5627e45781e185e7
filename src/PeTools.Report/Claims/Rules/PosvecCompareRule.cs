using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>posvec_less(task=T,a=A,b=B,layers=L)</c>: over the selected layers, A's mean (random − p_i) gap, as a share of its
/// intact accuracy, is smaller than B's: A keeps less explicit positional information in its activations (claim C24).
/// </summary>
public sealed class PosvecCompareRule(string task, string a, string b, LayerSelector layers) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var (ra, rb) = (d.PosvecsOf(task, a), d.PosvecsOf(task, b));
        if (ra.Count == 0 || rb.Count == 0)
            return Verdict.Inconclusive($"no positional-vector tables of {(ra.Count == 0 ? a : b)} on {task} among the inputs");
        double Share(IReadOnlyList<RunPosvec> runs) => runs.Average(r =>
            layers.Resolve(r.Depth).Select(r.At).OfType<PosvecLayer>().Select(l => l.Gap).DefaultIfEmpty(double.NaN).Average() / r.Baseline);
        double sa = Share(ra), sb = Share(rb);
        if (double.IsNaN(sa) || double.IsNaN(sb)) return Verdict.Inconclusive($"the positional-vector tables cover none of layers {layers}");
        return Verdict.Of(sa < sb, $"gap / baseline over layers {layers}: {a} {RuleSupport.Num(sa)}, {b} {RuleSupport.Num(sb)}",
            $"{a} {(sa < sb ? "<" : "≥")} {b} on {task}");
    }
}
