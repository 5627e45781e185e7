using Parquet;
using Parquet.Data;
using Parquet.Schema;
using PeTools.Core.Errors;

namespace PeTools.Core.Tables;

/// <summary>Maps schema columns to Parquet fields: flat required columns, and LIST&lt;INT32&gt; for int lists.</summary>
internal static class ParquetFields
{
    public static Field For(ColumnSpec c) => c.Type switch
    {
        ColumnType.Int32 => new DataField<int>(c.Name),
        ColumnType.Int64 => new DataField<long>(c.Name),
        ColumnType.Float64 => new DataField<double>(c.Name),
        ColumnType.String => new DataField(c.Name, typeof(string), false),
        ColumnType.Int32List => new ListField(c.Name, new DataField<int>("element")),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };
}

internal sealed class ParquetTableWriter : TableWriter
{
    /// <summary>
    /// Rows buffered per row group: ~1M token ids for a dataset, big enough to compress and scan well, small enough
    /// that the buffered rows stay a small live set for the GC (they outlive gen0 and are copied on promotion).
    /// </summary>
    private const int RowGroupRows = 16_384;

    private readonly ParquetWriter _writer;
    private readonly Field[] _fields;
    private readonly List<TableBatch> _pending = [];
    private int _pendingRows;

    // One array per column holding a row group, reused across row groups: concatenating into fresh arrays put
    // 2-3 large-object-heap arrays per row group on the GC, and each LOH overrun costs a full collection.
    private readonly Array[] _groupColumns;

    public ParquetTableWriter(string path, TableSchema schema, IReadOnlyDictionary<string, string>? metadata, Stream? stdout,
        bool compress)
        : base(path, schema, stdout, spoolStdout: true)
    {
        _fields = schema.Columns.Select(ParquetFields.For).ToArray();
        _groupColumns = schema.Columns.Select(c => Array.CreateInstance(c.Type.ClrArrayType().GetElementType()!, 0)).ToArray();
        var options = new ParquetOptions { CompressionMethod = compress ? CompressionMethod.Snappy : CompressionMethod.None };
        _writer = ParquetWriter.CreateAsync(new ParquetSchema(_fields), Sink, options).GetAwaiter().GetResult();
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["pe_tools.kind"] = schema.Kind };
        _writer.CustomMetadata = meta;
    }

    protected override void WriteRows(TableBatch batch)
    {
        _pending.Add(batch);
        _pendingRows += batch.RowCount;
        if (_pendingRows >= RowGroupRows) FlushRowGroup();
    }

    private void FlushRowGroup()
    {
        if (_pending.Count == 0) return;
        int rows = _pendingRows;
        for (int k = 0; k < _fields.Length; k++)
        {
            var name = Schema.Columns[k].Name;
            if (_groupColumns[k].Length < rows)
                _groupColumns[k] = Array.CreateInstance(_groupColumns[k].GetType().GetElementType()!, rows);
            int at = 0;
            foreach (var b in _pending)
            {
                Array.Copy(b.Column(name), 0, _groupColumns[k], at, b.RowCount);
                at += b.RowCount;
            }
        }
        _pending.Clear();
        _pendingRows = 0;
        using var rg = _writer.CreateRowGroup();
        for (int k = 0; k < _fields.Length; k++)
        {
            var data = _groupColumns[k];
            switch (Schema.Columns[k].Type)
            {
                case ColumnType.Int32: rg.WriteAsync<int>((DataField)_fields[k], ((int[])data).AsMemory(0, rows), null, null, default).GetAwaiter().GetResult(); break;
                case ColumnType.Int64: rg.WriteAsync<long>((DataField)_fields[k], ((long[])data).AsMemory(0, rows), null, null, default).GetAwaiter().GetResult(); break;
                case ColumnType.Float64: rg.WriteAsync<double>((DataField)_fields[k], ((double[])data).AsMemory(0, rows), null, null, default).GetAwaiter().GetResult(); break;
                case ColumnType.String: rg.WriteAsync((DataField)_fields[k], new ArraySegment<string>((string[])data, 0, rows), null).GetAwaiter().GetResult(); break;
                case ColumnType.Int32List: WriteList(rg, (DataField)((ListField)_fields[k]).Item, new ArraySegment<int[]>((int[][])data, 0, rows)); break;
            }
            // Drop references to this group's strings and rows, so the reused buffer does not keep them alive.
            if (!data.GetType().GetElementType()!.IsValueType) Array.Clear(data, 0, rows);
        }
    }

    // Flattened-list buffers, reused across row groups: fresh ones cost page faults on ~12 bytes per token.
    private int[] _values = [], _rep = [], _def = [];

    /// <summary>
    /// Flattens lists into values plus Dremel repetition/definition levels. Whole rows are block-copied and levels
    /// block-filled: this loop runs once per token of a dataset, so it is written for speed.
    /// </summary>
    private void WriteList(ParquetRowGroupWriter rg, DataField item, ArraySegment<int[]> rows)
    {
        long valueCount = 0, levelCount = 0;
        foreach (var row in rows)
        {
            valueCount += row.Length;
            levelCount += Math.Max(1, row.Length);
        }
        if (_values.Length < valueCount) _values = new int[checked((int)valueCount)];
        if (_rep.Length < levelCount) (_rep, _def) = (new int[checked((int)levelCount)], new int[levelCount]);
        var values = _values.AsMemory(0, (int)valueCount);
        var rep = _rep.AsMemory(0, (int)levelCount);
        var def = _def.AsMemory(0, (int)levelCount);
        int maxDef = item.MaxDefinitionLevel;
        def.Span.Fill(maxDef);
        rep.Span.Fill(1);
        int v = 0, l = 0;
        var repSpan = rep.Span;
        var defSpan = def.Span;
        foreach (var row in rows)
        {
            repSpan[l] = 0; // a new row starts
            if (row.Length == 0)
            {
                defSpan[l++] = maxDef - 1; // list present, no elements
                continue;
            }
            row.AsSpan().CopyTo(values.Span[v..]);
            v += row.Length;
            l += row.Length;
        }
        rg.WriteAllPartsAsync<int>(item, values, def, rep, default).GetAwaiter().GetResult();
    }

    protected override void Finish()
    {
        FlushRowGroup();
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public override void Dispose()
    {
        try { _writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        catch (ObjectDisposedException) { }
        catch (InvalidOperationException) { }
        base.Dispose();
    }
}

internal sealed class ParquetTableReader : TableReader
{
    private readonly Stream _stream;
    private readonly ParquetReader _reader;
    private readonly IReadOnlyList<string> _columns;

    private ParquetTableReader(string displayName, Stream stream, ParquetReader reader, TableSchema schema)
        : base(displayName, schema)
    {
        _stream = stream;
        _reader = reader;
        _columns = reader.Schema.Fields.Select(f => f.Name).ToList();
        Metadata = reader.CustomMetadata ?? new Dictionary<string, string>();
        CheckColumns(_columns);
        foreach (var c in Schema.Columns.Where(c => _columns.Contains(c.Name))) CheckType(c);
    }

    public override IReadOnlyDictionary<string, string> Metadata { get; }
    public override IReadOnlyList<string> FileColumns => _columns;

    public static ParquetTableReader Open(string displayName, Stream stream, TableSchema schema)
    {
        if (!stream.CanSeek)
        {
            // Parquet's footer is at the end: spool a pipe to a temporary file first.
            var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None,
                1 << 16, FileOptions.DeleteOnClose);
            stream.CopyTo(spool);
            stream.Dispose();
            spool.Position = 0;
            stream = spool;
        }
        ParquetReader reader;
        try
        {
            reader = ParquetReader.CreateAsync(stream, new ParquetOptions { TreatByteArrayAsString = true })
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or
                                        InvalidOperationException or NotSupportedException or EndOfStreamException)
        {
            stream.Dispose();
            throw new InputError(displayName, "file", "a readable Parquet file", $"a damaged file ({FirstLine(e.Message)})");
        }
        return new ParquetTableReader(displayName, stream, reader, schema);
    }

    private static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('.');

    private DataField Leaf(ColumnSpec c) => _reader.Schema.Fields.First(f => f.Name == c.Name) switch
    {
        ListField { Item: DataField item } => item,
        DataField d => d,
        var other => throw new InputError(DisplayName, $"column '{c.Name}'", c.Type.Describe(), other.SchemaType.ToString().ToLowerInvariant()),
    };

    private void CheckType(ColumnSpec c)
    {
        var f = Leaf(c);
        var t = f.ClrType;
        bool list = f.MaxRepetitionLevel > 0;
        bool ok = c.Type switch
        {
            ColumnType.Int32 or ColumnType.Int64 => !list && (t == typeof(int) || t == typeof(long) || t == typeof(short)),
            ColumnType.Float64 => !list && (t == typeof(double) || t == typeof(float) || t == typeof(int) || t == typeof(long)),
            ColumnType.String => !list && (t == typeof(string) || t == typeof(ReadOnlyMemory<char>)),
            ColumnType.Int32List => list && f.MaxRepetitionLevel == 1 && (t == typeof(int) || t == typeof(long) || t == typeof(short)),
            _ => false,
        };
        if (!ok)
            throw new InputError(DisplayName, $"column '{c.Name}'", c.Type.Describe(),
                (list ? "list<" : "") + Describe(t) + (list ? ">" : ""));
    }

    /// <summary>A CLR leaf type in the vocabulary of <see cref="ColumnTypes.Describe"/> (not "readonlymemory`1").</summary>
    private static string Describe(Type t) =>
        t == typeof(int) ? "int32" : t == typeof(long) ? "int64" : t == typeof(short) ? "int16" :
        t == typeof(double) ? "float64" : t == typeof(float) ? "float32" : t == typeof(bool) ? "bool" :
        t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? "string" : t == typeof(byte[]) ? "bytes" :
        t.Name.ToLowerInvariant();

    public override IEnumerable<TableBatch> ReadBatches(int maxRows = DefaultBatchRows)
    {
        // Row groups are the streaming unit; maxRows only matters for CSV.
        long rowBase = 0;
        for (int g = 0; g < _reader.RowGroupCount; g++)
        {
            using var rg = _reader.OpenRowGroupReader(g);
            var cols = new Dictionary<string, Array>();
            foreach (var c in Schema.Columns.Where(c => _columns.Contains(c.Name)))
                cols[c.Name] = ReadColumn(rg, c, rowBase);
            rowBase += rg.RowCount;
            yield return new TableBatch(Schema, cols);
        }
    }

    private Array ReadColumn(ParquetRowGroupReader rg, ColumnSpec c, long rowBase)
    {
        var f = Leaf(c);
        int rows = checked((int)rg.RowCount);
        using var raw = rg.ReadRawColumnDataBaseAsync(f, default).AsTask().GetAwaiter().GetResult();
        // Parquet.Net throws when asked for levels a column does not have (a required flat column has neither).
        var defs = f.MaxDefinitionLevel > 0 ? raw.DefinitionLevels.ToArray() : [];
        var reps = f.MaxRepetitionLevel > 0 ? raw.RepetitionLevels.ToArray() : [];
        // Typed fast paths for int32 data: boxing every value (the general path) read a 1M-row dataset in ~12 s.
        if (c.Type == ColumnType.Int32List)
            return raw is RawColumnData<int> typed
                ? ReadList(typed.Values.ToArray(), null, defs, reps, f, rows, c, rowBase)
                : ReadList(null, ValuesOf(raw), defs, reps, f, rows, c, rowBase);
        if (c.Type == ColumnType.Int32 && defs.Length == 0 && raw is RawColumnData<int> flat && flat.Values.Length == rows)
            return flat.Values.ToArray();
        var values = ValuesOf(raw);

        var result = Array.CreateInstance(c.Type.ClrArrayType().GetElementType()!, rows);
        int v = 0;
        for (int r = 0; r < rows; r++)
        {
            if (defs.Length > 0 && defs[r] < f.MaxDefinitionLevel)
                throw InputError.AtRow(DisplayName, rowBase + r + 1, c.Name, c.Type.Describe(), "null");
            result.SetValue(Convert(values[v++], c, rowBase + r + 1), r);
        }
        return result;
    }

    /// <summary>
    /// Rebuilds lists from values and Dremel levels. Values come either typed (<paramref name="ints"/>, copied out
    /// row by row) or boxed (<paramref name="boxed"/>, converted with range checks that can name the row).
    /// </summary>
    private int[][] ReadList(int[]? ints, object?[]? boxed, int[] defs, int[] reps, DataField f, int rows, ColumnSpec c,
        long rowBase)
    {
        var result = new int[rows][];
        var flat = ints ?? new int[boxed!.Length];
        int row = -1, v = 0, start = 0;
        int valueDef = f.MaxDefinitionLevel;
        int repeatedDef = f.IsNullable ? valueDef - 1 : valueDef; // def level where an element slot exists
        for (int l = 0; l < reps.Length; l++)
        {
            if (reps[l] == 0)
            {
                if (row >= 0) result[row] = flat[start..v];
                start = v;
                if (++row >= rows) throw new InputError(DisplayName, $"column '{c.Name}'", $"{rows} lists", "more");
            }
            int d = defs.Length > 0 ? defs[l] : valueDef;
            if (d == valueDef)
            {
                if (ints is null) flat[v] = (int)Convert(boxed![v], c, rowBase + row + 1);
                v++;
            }
            else if (d >= repeatedDef) throw InputError.AtRow(DisplayName, rowBase + row + 1, c.Name, "list<int32> without nulls", "a null element");
            else if (d < repeatedDef - 1) throw InputError.AtRow(DisplayName, rowBase + row + 1, c.Name, "list<int32>", "null");
        }
        if (row >= 0) result[row] = flat[start..v];
        if (row + 1 != rows)
            throw new InputError(DisplayName, $"column '{c.Name}'", $"{rows} lists", $"{row + 1}");
        return result;
    }

    private static object?[] ValuesOf(RawColumnData raw) => raw switch
    {
        RawColumnData<int> d => d.Values.ToArray().Select(x => (object?)x).ToArray(),
        RawColumnData<long> d => d.Values.ToArray().Select(x => (object?)x).ToArray(),
        RawColumnData<short> d => d.Values.ToArray().Select(x => (object?)(int)x).ToArray(),
        RawColumnData<double> d => d.Values.ToArray().Select(x => (object?)x).ToArray(),
        RawColumnData<float> d => d.Values.ToArray().Select(x => (object?)(double)x).ToArray(),
        RawColumnData<ReadOnlyMemory<char>> d => d.Values.ToArray().Select(x => (object?)x.ToString()).ToArray(),
        _ => throw new NotSupportedException($"unsupported Parquet column data {raw.GetType().Name}"),
    };

    private object Convert(object? value, ColumnSpec c, long row)
    {
        switch (c.Type)
        {
            case ColumnType.Int32:
            case ColumnType.Int32List:
                var l = System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                if (l is < int.MinValue or > int.MaxValue)
                    throw InputError.AtRow(DisplayName, row, c.Name, "a value that fits in int32", l.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return (int)l;
            case ColumnType.Int64: return System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            case ColumnType.Float64: return System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            case ColumnType.String: return value as string ?? throw InputError.AtRow(DisplayName, row, c.Name, "string", "null");
            default: throw new ArgumentOutOfRangeException(nameof(c));
        }
    }

    public override void Dispose()
    {
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Dispose();
        base.Dispose();
    }
}
