using System.Globalization;
using PeTools.Core.Errors;
using PeTools.Core.Heads;
using PeTools.Report.Inputs;
using A = PeTools.Core.Tables.Schemas.AblationColumns;

namespace PeTools.Report.Results;

/// <summary>
/// One run's single-head ablation: accuracy drop per (layer, head), from the rows of its head-ablation table(s) with
/// scope <c>head</c>, mode <c>zero</c> (the paper's; else the first mode present) and split <c>all</c> (the paper's
/// whole-dataset protocol; else <c>test</c>; else the first split present).
/// </summary>
public sealed record RunAblation(RunInfo Run, string Path, string Mode, string Split, double Baseline, IReadOnlyList<double[]> Drops)
{
    public const string HeadScope = "head";
    public const string PreferredMode = "zero";
    public static readonly string[] PreferredSplits = ["all", "test"];

    public int Layers => Drops.Count;
    public int Heads => Drops.Count == 0 ? 0 : Drops[0].Length;

    /// <summary>The deposit numbers of a layer (top head, margin, concentration, label) with the default thresholds.</summary>
    public DepositSummary Layer(int layer) => DepositScore.Summarise(Drops[layer], Thresholds);

    public static readonly DepositThresholds Thresholds = new();

    /// <summary>The ablation of one run from its tables (merged); null when no row has scope head.</summary>
    public static RunAblation? From(IReadOnlyList<LoadedTable> tables)
    {
        var rows = tables.SelectMany(t => Enumerable.Range(0, t.Rows.RowCount).Select(i => (Table: t, Row: i)))
            .Where(r => r.Table.Rows.String(A.Scope)[r.Row] == HeadScope).ToList();
        if (rows.Count == 0) return null;
        string Mode((LoadedTable Table, int Row) r) => r.Table.Rows.String(A.Mode)[r.Row];
        string Split((LoadedTable Table, int Row) r) => r.Table.Rows.String(A.Split)[r.Row];
        var mode = rows.Any(r => Mode(r) == PreferredMode) ? PreferredMode : Mode(rows[0]);
        rows = rows.Where(r => Mode(r) == mode).ToList();
        var split = PreferredSplits.FirstOrDefault(s => rows.Any(r => Split(r) == s)) ?? Split(rows[0]);
        rows = rows.Where(r => Split(r) == split).ToList();

        var cells = new Dictionary<(int Layer, int Head), double>();
        double baseline = double.NaN;
        foreach (var (t, i) in rows)
        {
            var (layer, head) = (t.Rows.Int32(A.Layer)[i], t.Rows.Int32(A.Head)[i]);
            if (layer < 0 || head < 0)
                throw InputError.AtRow(t.Path, i + 1, layer < 0 ? A.Layer : A.Head, "a 0-based index", Math.Min(layer, head).ToString(CultureInfo.InvariantCulture));
            if (!cells.TryAdd((layer, head), t.Rows.Float64(A.AccuracyDrop)[i]))
                throw InputError.AtRow(t.Path, i + 1, A.Head, $"each (layer, head) once for mode {mode}, split {split}", $"layer {layer} head {head} again");
            baseline = t.Rows.Float64(A.BaselineAccuracy)[i];
        }
        int layers = cells.Keys.Max(k => k.Layer) + 1, heads = cells.Keys.Max(k => k.Head) + 1;
        var drops = new List<double[]>();
        for (int l = 0; l < layers; l++)
        {
            var row = new double[heads];
            for (int h = 0; h < heads; h++)
                row[h] = cells.TryGetValue((l, h), out var d) ? d : double.NaN;
            drops.Add(row);
        }
        if (drops.Any(r => r.Any(double.IsNaN)))
            throw new InputError(tables[0].Path, "rows", $"every head 0..{heads - 1} of every layer 0..{layers - 1} (mode {mode}, split {split})",
                $"{drops.Sum(r => r.Count(double.IsNaN))} (layer, head) pairs missing");
        return new RunAblation(tables[0].Run!, tables[0].Path, mode, split, baseline, drops);
    }
}
