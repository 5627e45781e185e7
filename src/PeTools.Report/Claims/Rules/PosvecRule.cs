using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>posvec(task=T,pe=P,layers=L,effect=hurts|none[,tol=0.02])</c> (paper Fig. 8), on the seed means: hurts = in every
/// selected layer removing p_i costs more accuracy than a norm-matched random vector, by more than one std of the
/// random draws (and more than tol); none = in every selected layer the two differ by at most max(2 std, tol).
/// </summary>
public sealed class PosvecRule(string task, string pe, LayerSelector layers, bool hurts, double tol) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var runs = d.PosvecsOf(task, pe);
        if (runs.Count == 0) return Verdict.Inconclusive($"no positional-vector table of {pe} on {task} among the inputs");
        var picked = layers.Resolve(runs[0].Depth).Where(l => runs.All(r => r.At(l) is not null)).ToList();
        if (picked.Count == 0) return Verdict.Inconclusive($"the positional-vector tables of {pe} cover none of layers {layers}");
        var rows = picked.Select(l => (Layer: l,
            Pos: runs.Average(r => r.At(l)!.Positional), Rnd: runs.Average(r => r.At(l)!.RandomMean), Sd: runs.Average(r => r.At(l)!.RandomStd))).ToList();
        var failing = rows.Where(x => hurts ? !(x.Rnd - x.Pos > Math.Max(x.Sd, tol)) : Math.Abs(x.Rnd - x.Pos) > Math.Max(2 * x.Sd, tol)).ToList();
        var ours = $"{pe} (n={runs.Count}): " + string.Join(", ", rows.Select(x => $"L{x.Layer} p_i {RuleSupport.Num(x.Pos)} vs random {RuleSupport.Num(x.Rnd)} ± {RuleSupport.Num(x.Sd)}"));
        string what = hurts ? "removing p_i hurts more than random" : "p_i and random removal agree";
        return Verdict.Of(failing.Count == 0, ours, failing.Count == 0
            ? $"{what} in every layer of {DepositRule.Describe(layers, runs[0].Depth)}"
            : $"not in layer{(failing.Count > 1 ? "s" : "")} {string.Join(",", failing.Select(x => x.Layer))}");
    }
}
