using PeTools.Report.Results;
using PeTools.Report.Sections;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// Contraction tables (pe-spectrum contraction). <c>ratio_below(statistic=S,pe=P,value=V)</c>: in every (n, d_head)
/// cell the upper end of P's 95% CI of S is below V. <c>spectral_less(statistic=S,a=A,b=B)</c>: in every cell A's mean
/// of S is below B's; B may be <c>additive</c> (every PE with additive coupling).
/// </summary>
public sealed class SpectralRule(string statistic, string a, string? b, double? value) : IClaimRule
{
    public const string Additive = "additive";

    public Verdict Evaluate(ReportData d)
    {
        var rows = ContractionRow.All(d).Where(r => r.Statistic == statistic).ToList();
        if (rows.Count == 0) return Verdict.Inconclusive($"no contraction table with statistic {statistic} among the inputs");
        var mine = rows.Where(r => r.Pe == a).ToList();
        if (mine.Count == 0) return Verdict.Inconclusive($"no {statistic} rows of {a} in the contraction tables");
        var failed = new List<string>();
        foreach (var r in mine)
        {
            if (value is { } v && !(r.CiHigh < v)) failed.Add($"n={r.N} d={r.DHead}: CI high {RuleSupport.Num(r.CiHigh)}");
            if (b is null) continue;
            foreach (var o in rows.Where(o => o.N == r.N && o.DHead == r.DHead && (b == Additive ? o.Coupling == Additive : o.Pe == b)))
                if (!(r.Mean < o.Mean)) failed.Add($"n={r.N} d={r.DHead}: {a} {RuleSupport.Num(r.Mean)} ≥ {o.Pe} {RuleSupport.Num(o.Mean)}");
        }
        if (b is not null && !rows.Any(o => b == Additive ? o.Coupling == Additive : o.Pe == b))
            return Verdict.Inconclusive($"no {statistic} rows of {b} in the contraction tables");
        var ours = $"{a} {statistic} {RuleSupport.Num(mine.Min(r => r.Mean), 2)}–{RuleSupport.Num(mine.Max(r => r.Mean), 2)} over {mine.Count} cells" +
                   (b is null ? "" : "; " + string.Join(", ", rows.Where(o => b == Additive ? o.Coupling == Additive : o.Pe == b).GroupBy(o => o.Pe)
                       .Select(g => $"{g.Key} {RuleSupport.Num(g.Min(x => x.Mean), 2)}–{RuleSupport.Num(g.Max(x => x.Mean), 2)}")));
        string test = value is { } vv ? $"CI below {RuleSupport.Num(vv, 2)}" : "";
        if (b is not null) test += (test.Length > 0 ? " and " : "") + $"mean below {b}";
        return Verdict.Of(failed.Count == 0, ours, failed.Count == 0 ? $"{test} in all {mine.Count} cells" : string.Join("; ", failed.Take(4)));
    }
}
