using PeTools.Report.Inputs;
using P = PeTools.Core.Tables.Schemas.ProbeColumns;

namespace PeTools.Report.Results;

/// <summary>One run's gradient probes (pe-train --probe-every): value per (step, quantity, layer, head).</summary>
public sealed record RunProbes(RunInfo Run, string Path, IReadOnlyDictionary<(long Step, string Quantity), IReadOnlyList<(int Layer, int Head, double Value)>> Rows)
{
    public IReadOnlyList<long> Steps => Rows.Keys.Select(k => k.Step).Distinct().Order().ToList();

    /// <summary>max (or median) over heads of the given layers (all when null) of a quantity at a step; NaN when absent.</summary>
    public double Statistic(long step, string quantity, string stat, IReadOnlyCollection<int>? layers = null)
    {
        if (!Rows.TryGetValue((step, quantity), out var rows)) return double.NaN;
        var v = rows.Where(r => layers is null || layers.Contains(r.Layer)).Select(r => r.Value).Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return stat switch
        {
            "max" => v[^1],
            "min" => v[0],
            "median" => v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2,
            "mean" => v.Average(),
            _ => throw new ArgumentException($"unknown statistic '{stat}'", nameof(stat)),
        };
    }

    public static readonly string[] Stats = ["max", "median", "mean", "min"];

    public static RunProbes From(LoadedTable t)
    {
        var b = t.Rows;
        var (step, layer, head, quantity, value) = (b.Int64(P.Step), b.Int32(P.Layer), b.Int32(P.Head), b.String(P.Quantity), b.Float64(P.Value));
        var rows = Enumerable.Range(0, b.RowCount).GroupBy(i => (step[i], quantity[i]))
            .ToDictionary(g => g.Key, g => (IReadOnlyList<(int, int, double)>)g.Select(i => (layer[i], head[i], value[i])).ToList());
        return new RunProbes(t.Run!, t.Path, rows);
    }
}
