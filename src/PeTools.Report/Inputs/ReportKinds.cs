using PeTools.Core.Tables;

namespace PeTools.Report.Inputs;

/// <summary>
/// The table kinds pe-report turns into sections, and how a file's kind is told: a Parquet file written by pe-tools
/// names its kind in the metadata (<c>pe_tools.kind</c>); otherwise (CSV) the most specific schema whose required
/// columns the file has wins, as <see cref="Schemas.Recognise"/> does.
/// </summary>
public static class ReportKinds
{
    /// <summary>The Parquet metadata key naming a table's kind (written by every pe-tools Parquet writer).</summary>
    public const string KindKey = "pe_tools.kind";

    /// <summary>Kinds that describe one training run: each such table needs a <see cref="RunInfo"/>.</summary>
    public static IReadOnlyList<TableSchema> PerRun =>
        [Schemas.Metrics, Schemas.Ablation, Schemas.PositionalVectors, Schemas.DynamicsDrops, Schemas.DynamicsSummary, Schemas.Probes];

    /// <summary>Kinds that stand alone (spectral theory on random content, sharpness rows that name their PE).</summary>
    public static IReadOnlyList<TableSchema> Standalone => [Schemas.Spectrum, Schemas.Contraction, Schemas.Hessian];

    /// <summary>Every kind pe-report reads.</summary>
    public static IReadOnlyList<TableSchema> Read => [.. PerRun, .. Standalone];

    /// <summary>Every kind pe-tools knows.</summary>
    public static IReadOnlyList<TableSchema> Known => Schemas.All;

    public static bool IsPerRun(TableSchema schema) => PerRun.Any(s => s.Kind == schema.Kind);

    public static bool IsRead(TableSchema schema) => Read.Any(s => s.Kind == schema.Kind);

    /// <summary>The kind of a table with these columns and metadata, or null when it is no pe-tools table.</summary>
    public static TableSchema? Recognise(IReadOnlyList<string> columns, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(KindKey, out var kind) && Known.FirstOrDefault(s => s.Kind == kind) is { } named)
            return named;
        return Known.Where(s => s.IsSatisfiedBy(columns)).OrderByDescending(s => s.Columns.Count).FirstOrDefault();
    }
}
