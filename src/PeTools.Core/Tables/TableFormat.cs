using PeTools.Core.Errors;

namespace PeTools.Core.Tables;

public enum TableFormat
{
    Csv,
    Parquet,
}

public static class TableFormats
{
    /// <summary>The path that means stdin or stdout.</summary>
    public const string StdStream = "-";

    /// <summary>
    /// The format of <paramref name="path"/>: an explicit <c>--format</c> wins; otherwise the extension decides.
    /// For <c>-</c> without <c>--format</c> the answer is null: readers sniff the bytes, writers use CSV.
    /// </summary>
    public static TableFormat? Resolve(string path, TableFormat? explicitFormat)
    {
        if (explicitFormat is { } f) return f;
        if (path == StdStream) return null;
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => TableFormat.Csv,
            ".parquet" or ".pq" => TableFormat.Parquet,
            _ => throw new UsageError($"{path}: cannot tell the table format from the extension '{ext}' " +
                                      "(expected .csv, .parquet or .pq, or give --format csv|parquet)"),
        };
    }

    public static TableFormat Parse(string text) => text.ToLowerInvariant() switch
    {
        "csv" => TableFormat.Csv,
        "parquet" or "pq" => TableFormat.Parquet,
        _ => throw UsageError.Option("--format", "csv or parquet", text),
    };
}
