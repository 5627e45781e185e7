using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// Gradient probes (pe-train --probe-every). The statistic (max, median, mean or min over the heads of the selected
/// layers) of a probe quantity at the first (or last) probe step, averaged over seeds. <c>probe(task=T,pe=P,quantity=Q,
/// [stat=max,step=first,layers=all,]above=V|below=V)</c> compares it with a number; <c>probe_greater(task=T,a=A,b=B,quantity=Q,...)</c>
/// with another PE's.
/// </summary>
public sealed class ProbeRule(string task, string a, string? b, string quantity, string stat, string step, LayerSelector layers,
    double? above, double? below) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        double? Value(string pe)
        {
            var runs = d.ProbesOf(task, pe);
            if (runs.Count == 0) return null;
            return runs.Average(r =>
            {
                var steps = r.Steps;
                var layerCount = r.Rows.Values.SelectMany(x => x.Select(y => y.Layer)).DefaultIfEmpty(-1).Max() + 1;
                return r.Statistic(step == "last" ? steps[^1] : steps[0], quantity, stat, layers.Resolve(layerCount).ToHashSet());
            });
        }
        var va = Value(a);
        if (va is null) return Verdict.Inconclusive($"no probes table of {a} on {task} among the inputs");
        if (double.IsNaN(va.Value)) return Verdict.Inconclusive($"the probes of {a} have no {quantity} rows");
        string what = $"{stat} {quantity} (layers {layers}, {step} probe)";
        if (b is not null)
        {
            var vb = Value(b);
            if (vb is null || double.IsNaN(vb.Value)) return Verdict.Inconclusive($"no {quantity} probes of {b} on {task} among the inputs");
            return Verdict.Of(va > vb, $"{what}: {a} {RuleSupport.Num(va.Value)}, {b} {RuleSupport.Num(vb.Value)}",
                $"{a} {(va > vb ? ">" : "≤")} {b} on {task}");
        }
        bool holds = (above is null || va >= above) && (below is null || va < below);
        var bound = above is { } lo ? $"≥ {RuleSupport.Num(lo)}" : $"< {RuleSupport.Num(below!.Value)}";
        return Verdict.Of(holds, $"{what}: {a} {RuleSupport.Num(va.Value)}", $"{a} on {task}: {RuleSupport.Num(va.Value)} {(holds ? "is" : "is not")} {bound}");
    }
}
