using PeTools.Core.Errors;

namespace PeTools.Core.Tables;

/// <summary>
/// Reads a CSV or Parquet table (by extension; <c>-</c> is stdin, whose format is sniffed from its first bytes),
/// checks it against a schema up front, and streams it in batches (Parquet row groups, runs of CSV lines) so a
/// 10-million-row file never sits in memory at once. Every problem is a one-line <see cref="InputError"/>.
/// </summary>
public abstract class TableReader : IDisposable
{
    public const int DefaultBatchRows = 65_536;
    private static readonly byte[] ParquetMagic = "PAR1"u8.ToArray();

    protected TableReader(string displayName, TableSchema schema)
    {
        DisplayName = displayName;
        Schema = schema;
    }

    /// <summary>The file name used in error messages (<c>&lt;stdin&gt;</c> for <c>-</c>).</summary>
    public string DisplayName { get; }
    public TableSchema Schema { get; }
    public abstract IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The column names the file itself has (schema columns or not).</summary>
    public abstract IReadOnlyList<string> FileColumns { get; }

    public abstract IEnumerable<TableBatch> ReadBatches(int maxRows = DefaultBatchRows);

    /// <summary>Reads the whole table into one batch (for tables known to be small, or that must be shuffled).</summary>
    public TableBatch ReadAll() => TableBatch.Concat(Schema, ReadBatches().ToList());

    public static TableReader Open(string path, TableSchema schema, TableFormat? format = null, Stream? stdin = null)
    {
        var display = path == TableFormats.StdStream ? "<stdin>" : path;
        var resolved = TableFormats.Resolve(path, format);
        Stream stream;
        if (path == TableFormats.StdStream)
        {
            stream = stdin ?? Console.OpenStandardInput();
        }
        else
        {
            if (!File.Exists(path))
                throw new InputError(path, "file", "an existing table file", "no such file");
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }

        try
        {
            if (resolved is null)
            {
                // Sniff: Parquet files start with "PAR1"; anything else is read as CSV.
                var head = new byte[4];
                int n = 0;
                while (n < 4 && stream.Read(head, n, 4 - n) is var r && r > 0) n += r;
                stream = new ReplayStream(head.AsSpan(0, n).ToArray(), stream);
                resolved = n == 4 && head.AsSpan().SequenceEqual(ParquetMagic) ? TableFormat.Parquet : TableFormat.Csv;
            }
            return resolved switch
            {
                TableFormat.Csv => new CsvTableReader(display, stream, schema),
                TableFormat.Parquet => ParquetTableReader.Open(display, stream, schema),
                _ => throw new ArgumentOutOfRangeException(nameof(format)),
            };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the column names of a file (for telling table kinds apart).</summary>
    public static IReadOnlyList<string> PeekColumns(string path, TableFormat? format = null)
    {
        var any = new TableSchema("any", "", []);
        using var r = Open(path, any, format);
        return r.FileColumns;
    }

    protected void CheckColumns(IReadOnlyList<string> fileColumns)
    {
        foreach (var c in Schema.Columns.Where(c => c.Required))
            if (!fileColumns.Contains(c.Name))
                throw new InputError(DisplayName, "header",
                    $"a column '{c.Name}' ({c.Type.Describe()}) for a {Schema.Kind} table",
                    fileColumns.Count == 0 ? "no columns" : "columns " + string.Join(",", fileColumns));
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A read-only stream that replays some already-read bytes, then continues with the inner stream.</summary>
internal sealed class ReplayStream(byte[] prefix, Stream inner) : Stream
{
    private int _prefixAt;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_prefixAt < prefix.Length)
        {
            int n = Math.Min(count, prefix.Length - _prefixAt);
            Array.Copy(prefix, _prefixAt, buffer, offset, n);
            _prefixAt += n;
            return n;
        }
        return inner.Read(buffer, offset, count);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
