using PeTools.Report.Inputs;
using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>sharpness_less(a=A,b=B[,quantity=top_eigenvalue])</c> (pe-spectrum hessian tables): the mean over seeds of the
/// quantity at each seed's last measured step is lower for A than for B (a flatter, better-conditioned loss).
/// </summary>
public sealed class SharpnessRule(string a, string b, string quantity) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var all = HessianRow.All(d);
        if (all.Count == 0) return Verdict.Inconclusive("no hessian (sharpness) table among the inputs");
        var scope = HessianRow.PreferredScope(all);
        Summary Last(string pe) => Summary.Of(all.Where(r => r.Pe == pe && r.Quantity == quantity && r.Scope == scope)
            .GroupBy(r => r.Seed).Select(g => g.OrderBy(r => r.Step).Last().Value));
        var (sa, sb) = (Last(a), Last(b));
        if (sa.N == 0 || sb.N == 0) return Verdict.Inconclusive($"no {quantity} rows of {(sa.N == 0 ? a : b)} in the hessian tables");
        return Verdict.Of(sa.Mean < sb.Mean, $"{quantity} at the last step: {a} {sa.Format()}, {b} {sb.Format()}",
            $"{a} {(sa.Mean < sb.Mean ? "<" : "≥")} {b}");
    }
}
