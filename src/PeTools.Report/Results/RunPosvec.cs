using PeTools.Report.Inputs;
using P = PeTools.Core.Tables.Schemas.PositionalVectorsColumns;

namespace PeTools.Report.Results;

/// <summary>One layer of paper Fig. 8: accuracy with p_i removed vs with norm-matched random vectors removed.</summary>
public sealed record PosvecLayer(int Layer, double Positional, double RandomMean, double RandomStd)
{
    /// <summary>How much more removing p_i hurts than a random vector (random mean − positional).</summary>
    public double Gap => RandomMean - Positional;
}

/// <summary>One run's positional-vector ablation (pe-heads posvec), per layer.</summary>
public sealed record RunPosvec(RunInfo Run, string Path, double Baseline, IReadOnlyList<PosvecLayer> Layers)
{
    /// <summary>Layers of the model as far as the table shows (largest layer + 1).</summary>
    public int Depth => Layers.Count == 0 ? 0 : Layers.Max(l => l.Layer) + 1;

    /// <summary>The row of a layer, or null when the table skipped it.</summary>
    public PosvecLayer? At(int layer) => Layers.FirstOrDefault(l => l.Layer == layer);

    public const string Positional = "positional", Random = "random", Draw = "draw", Mean = "mean", Std = "std";

    public static RunPosvec From(LoadedTable t)
    {
        var b = t.Rows;
        var (layer, kind, stat, acc) = (b.Int32(P.Layer), b.String(P.Kind), b.String(P.Stat), b.Float64(P.Accuracy));
        double Find(int l, string k, string s) =>
            Enumerable.Range(0, b.RowCount).Where(i => layer[i] == l && kind[i] == k && stat[i] == s).Select(i => acc[i])
                .DefaultIfEmpty(double.NaN).Average();
        var layers = layer.Distinct().Order()
            .Select(l => new PosvecLayer(l, Find(l, Positional, Draw), Find(l, Random, Mean), Find(l, Random, Std)))
            .ToList();
        var baseline = b.RowCount > 0 ? b.Float64(P.BaselineAccuracy)[0] : double.NaN;
        return new RunPosvec(t.Run!, t.Path, baseline, layers);
    }
}
