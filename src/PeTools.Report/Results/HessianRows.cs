using PeTools.Core.Tables;
using PeTools.Report.Inputs;
using H = PeTools.Core.Tables.Schemas.HessianColumns;

namespace PeTools.Report.Results;

/// <summary>One sharpness measurement: a row of a hessian table (<see cref="Schemas.Hessian"/>).</summary>
public sealed record HessianRow(string Pe, long Seed, long Step, double Epoch, string Scope, string Quantity, int Index, double Value)
{
    /// <summary>The rows of every hessian table: scalar quantities and index-0 (largest) eigenvalues only.</summary>
    public static IReadOnlyList<HessianRow> All(ReportData data) =>
        data.Inputs.OfKind(Schemas.Hessian.Kind).SelectMany(Read).Where(r => r.Index <= 0).ToList();

    /// <summary>The scope sections and rules read: model (or all) when present, else the first one seen.</summary>
    public static string PreferredScope(IReadOnlyList<HessianRow> rows) =>
        rows.Select(r => r.Scope).FirstOrDefault(s => s is "model" or "all") ?? rows.Select(r => r.Scope).FirstOrDefault() ?? "";

    private static IEnumerable<HessianRow> Read(LoadedTable t)
    {
        var b = t.Rows;
        var (pe, seed, step, epoch) = (b.String(H.Pe), b.Int64(H.Seed), b.Int64(H.Step), b.Float64(H.Epoch));
        var (scope, quantity, index, value) = (b.String(H.Scope), b.String(H.Quantity), b.Int32(H.Index), b.Float64(H.Value));
        for (int i = 0; i < b.RowCount; i++)
            yield return new HessianRow(pe[i], seed[i], step[i], epoch[i], scope[i], quantity[i], index[i], value[i]);
    }
}
