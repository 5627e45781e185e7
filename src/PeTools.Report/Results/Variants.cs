using System.Globalization;
using System.Text.RegularExpressions;

namespace PeTools.Report.Results;

/// <summary>
/// Orders PE variants as the paper lists them (RoPE first, NoPE last; Fig. 2) and reads the parts of a variant label
/// (<see cref="Inputs.RunInfo.Variant"/>): its base PE and its partial-RoPE head count.
/// </summary>
public static partial class Variants
{
    private static readonly string[] PaperOrder =
        ["rope", "rope-abs", "sinusoidal", "learned", "alibi", "alibi-std", "relative", "t5", "kerple", "xpos", "nope"];

    [GeneratedRegex(@":k(\d+)")]
    private static partial Regex RopeHeadsPart();

    /// <summary>The --pe key of a variant label (before any /attention, :k, :L, @arch or +causal part).</summary>
    public static string BasePe(string variant) => variant.Split('/', ':', '@', '+')[0];

    /// <summary>K of a partial-RoPE variant (<c>rope:k2</c>), or null.</summary>
    public static int? RopeHeads(string variant) =>
        RopeHeadsPart().Match(variant) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    public static bool IsPartialRope(string variant) => RopeHeads(variant) is not null;

    /// <summary>The paper's order: known PEs first in their order, plain before modified, partial RoPE by K, then the rest by name.</summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> variants) =>
        variants.Distinct().OrderBy(Rank).ThenBy(IsPartialRope).ThenBy(v => RopeHeads(v) ?? -1).ThenBy(v => v.Length)
            .ThenBy(v => v, StringComparer.Ordinal).ToList();

    private static int Rank(string variant)
    {
        int i = Array.IndexOf(PaperOrder, BasePe(variant));
        return i < 0 ? PaperOrder.Length : i;
    }
}
