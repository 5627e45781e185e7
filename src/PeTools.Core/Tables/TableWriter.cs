namespace PeTools.Core.Tables;

/// <summary>
/// Writes one table of one schema to a path (CSV or Parquet by extension) or to stdout (<c>-</c>).
/// Files go through <see cref="AtomicFile"/>: nothing reaches the target path until <see cref="Commit"/>,
/// and disposing without a commit leaves nothing behind.
/// </summary>
public abstract class TableWriter : IDisposable
{
    private readonly AtomicFile? _file;
    private readonly Stream? _stdout;
    private readonly FileStream? _stdoutSpool;
    private bool _committed;

    protected TableWriter(string path, TableSchema schema, Stream? stdout, bool spoolStdout)
    {
        Path = path;
        Schema = schema;
        if (path == TableFormats.StdStream)
        {
            _stdout = stdout ?? Console.OpenStandardOutput();
            if (spoolStdout)
            {
                // Parquet needs a seekable sink (its footer points back into the file): spool, then copy.
                _stdoutSpool = new FileStream(System.IO.Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite,
                    FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
                Sink = _stdoutSpool;
            }
            else
            {
                Sink = _stdout;
            }
        }
        else
        {
            _file = new AtomicFile(path);
            Sink = _file.Stream;
        }
    }

    public string Path { get; }
    public TableSchema Schema { get; }
    protected Stream Sink { get; }

    /// <summary>
    /// Opens a writer for <paramref name="path"/>. Metadata (key → value) is stored in the Parquet footer;
    /// CSV has no place for it and drops it. <paramref name="compress"/> (Parquet only) chooses Snappy pages, or
    /// plain ones: about 1.6x larger for token ids, which barely compress, and about twice as fast to write.
    /// </summary>
    public static TableWriter Create(string path, TableSchema schema, TableFormat? format = null,
        IReadOnlyDictionary<string, string>? metadata = null, Stream? stdout = null, bool compress = true)
    {
        var resolved = TableFormats.Resolve(path, format) ?? TableFormat.Csv;
        return resolved switch
        {
            TableFormat.Csv => new CsvTableWriter(path, schema, stdout),
            TableFormat.Parquet => new ParquetTableWriter(path, schema, metadata, stdout, compress),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Writes one whole table (a single batch) to <paramref name="path"/> and commits it: the common case.</summary>
    public static void WriteTable(string path, TableBatch batch, TableFormat? format = null,
        IReadOnlyDictionary<string, string>? metadata = null, Stream? stdout = null)
    {
        using var writer = Create(path, batch.Schema, format, metadata, stdout);
        writer.Write(batch);
        writer.Commit();
    }

    /// <summary>Appends the rows of <paramref name="batch"/>; it must hold every column of the schema.</summary>
    public void Write(TableBatch batch)
    {
        foreach (var c in Schema.Columns)
            if (!batch.Has(c.Name))
                throw new ArgumentException($"batch for '{Schema.Kind}' lacks column '{c.Name}'");
        WriteRows(batch);
    }

    protected abstract void WriteRows(TableBatch batch);

    /// <summary>Flushes buffered rows and closes the format's framing (Parquet footer, CSV flush).</summary>
    protected abstract void Finish();

    public void Commit()
    {
        Finish();
        if (_file is not null)
        {
            _file.Commit();
        }
        else if (_stdoutSpool is not null)
        {
            _stdoutSpool.Position = 0;
            _stdoutSpool.CopyTo(_stdout!);
            _stdout!.Flush();
        }
        else
        {
            _stdout!.Flush();
        }
        _committed = true;
    }

    public virtual void Dispose()
    {
        _file?.Dispose();
        _stdoutSpool?.Dispose();
        GC.SuppressFinalize(this);
        _ = _committed;
    }
}
