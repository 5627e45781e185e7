using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Report.Inputs;
using H = PeTools.Report.Inputs.HessianTable.Columns;

namespace PeTools.Report.Results;

/// <summary>One sharpness measurement (a row of a hessian table), with defaults for the columns it may lack.</summary>
public sealed record HessianRow(string Pe, long Seed, long Step, double Epoch, string Scope, string Quantity, int Index, double Value)
{
    /// <summary>The rows of every hessian table: scalar quantities and index-0 (largest) eigenvalues only.</summary>
    public static IReadOnlyList<HessianRow> All(ReportData data) =>
        data.Inputs.OfKind(HessianTable.Kind).SelectMany(Read).Where(r => r.Index <= 0).ToList();

    /// <summary>The scope sections and rules read: model (or all) when present, else the first one seen.</summary>
    public static string PreferredScope(IReadOnlyList<HessianRow> rows) =>
        rows.Select(r => r.Scope).FirstOrDefault(s => s is "model" or "all") ?? rows.Select(r => r.Scope).FirstOrDefault() ?? "";

    private static IEnumerable<HessianRow> Read(LoadedTable t)
    {
        var b = t.Rows;
        var pe = b.String(H.Pe);
        var quantity = b.String(H.Quantity);
        var step = Numbers(b, H.Step);
        var value = Numbers(b, H.Value);
        var seed = b.Has(H.Seed) ? Numbers(b, H.Seed) : null;
        var epoch = b.Has(H.Epoch) ? Numbers(b, H.Epoch) : null;
        var index = b.Has(H.Index) ? Numbers(b, H.Index) : null;
        var scope = b.Has(H.Scope) ? b.String(H.Scope) : null;
        for (int i = 0; i < b.RowCount; i++)
            yield return new HessianRow(pe[i], (long)(seed?[i] ?? 0), (long)step[i], epoch?[i] ?? double.NaN, scope?[i] ?? "",
                quantity[i], (int)(index?[i] ?? -1), value[i]);
    }

    /// <summary>A numeric column as doubles, whatever its integer or float type.</summary>
    private static double[] Numbers(TableBatch b, string column) => b.Column(column) switch
    {
        double[] d => d,
        long[] l => l.Select(x => (double)x).ToArray(),
        int[] n => n.Select(x => (double)x).ToArray(),
        string[] s => s.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray(),
        var other => throw new InvalidOperationException($"column '{column}' has type {other.GetType().Name}"),
    };
}
