using PeTools.Core.Tables;

namespace PeTools.Report.Inputs;

/// <summary>One table read by pe-report: where from, its kind, its rows, and the run it belongs to (per-run kinds).</summary>
public sealed record LoadedTable(string Path, TableSchema Schema, TableBatch Rows, RunInfo? Run)
{
    public string Kind => Schema.Kind;
}

/// <summary>A file that was found (in a folder or through a glob) but not used, and why.</summary>
public sealed record SkippedInput(string Path, string Reason);

/// <summary>Every table pe-report read, by kind.</summary>
public sealed class InputSet(IReadOnlyList<LoadedTable> tables, IReadOnlyList<SkippedInput> skipped)
{
    public IReadOnlyList<LoadedTable> Tables { get; } = tables;
    public IReadOnlyList<SkippedInput> Skipped { get; } = skipped;

    public IEnumerable<LoadedTable> OfKind(TableSchema schema) => Tables.Where(t => t.Kind == schema.Kind);

    public IEnumerable<LoadedTable> OfKind(string kind) => Tables.Where(t => t.Kind == kind);

    public bool Has(string kind) => Tables.Any(t => t.Kind == kind);
}
