namespace PeTools.Core.Tables;

/// <summary>
/// A block of rows stored column by column (one CLR array per column), the unit that readers stream and writers
/// take: a Parquet row group, or a run of CSV lines. Columns absent from the file are absent here.
/// </summary>
public sealed class TableBatch
{
    private readonly Dictionary<string, Array> _columns;

    public TableBatch(TableSchema schema, IReadOnlyDictionary<string, Array> columns)
    {
        Schema = schema;
        _columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        int? rows = null;
        foreach (var (name, data) in columns)
        {
            var spec = schema.Get(name);
            if (data.GetType() != spec.Type.ClrArrayType())
                throw new ArgumentException($"column '{name}' must be {spec.Type.ClrArrayType().Name}, got {data.GetType().Name}");
            if (rows is { } r && r != data.Length)
                throw new ArgumentException($"column '{name}' has {data.Length} rows, others have {r}");
            rows = data.Length;
            _columns[name] = data;
        }
        RowCount = rows ?? 0;
    }

    public TableSchema Schema { get; }
    public int RowCount { get; }
    public IEnumerable<string> ColumnNames => Schema.Columns.Select(c => c.Name).Where(_columns.ContainsKey);

    public bool Has(string name) => _columns.ContainsKey(name);
    public Array Column(string name) => _columns.TryGetValue(name, out var a)
        ? a
        : throw new KeyNotFoundException($"table '{Schema.Kind}' batch has no column '{name}'");

    public int[] Int32(string name) => (int[])Column(name);
    public long[] Int64(string name) => (long[])Column(name);
    public double[] Float64(string name) => (double[])Column(name);
    public string[] String(string name) => (string[])Column(name);
    public int[][] Int32List(string name) => (int[][])Column(name);

    /// <summary>Concatenates batches of one schema (same columns present) into one.</summary>
    public static TableBatch Concat(TableSchema schema, IReadOnlyList<TableBatch> batches)
    {
        if (batches.Count == 1) return batches[0];
        var names = batches.Count == 0 ? [] : batches[0].ColumnNames.ToList();
        var total = batches.Sum(b => b.RowCount);
        var merged = new Dictionary<string, Array>();
        foreach (var name in names)
        {
            var type = schema.Get(name).Type.ClrArrayType().GetElementType()!;
            var target = Array.CreateInstance(type, total);
            int at = 0;
            foreach (var b in batches)
            {
                Array.Copy(b.Column(name), 0, target, at, b.RowCount);
                at += b.RowCount;
            }
            merged[name] = target;
        }
        return new TableBatch(schema, merged);
    }
}

/// <summary>Builds a <see cref="TableBatch"/> row by row, for writers whose rows come one at a time.</summary>
public sealed class TableBatchBuilder(TableSchema schema)
{
    private readonly Dictionary<string, System.Collections.IList> _lists = schema.Columns.ToDictionary(
        c => c.Name,
        c => (System.Collections.IList)Activator.CreateInstance(
            typeof(List<>).MakeGenericType(c.Type.ClrArrayType().GetElementType()!))!);

    public TableSchema Schema { get; } = schema;
    public int RowCount { get; private set; }

    /// <summary>Adds one row; values are given by column name and must cover every schema column.</summary>
    public void Add(params (string Column, object Value)[] cells)
    {
        if (cells.Length != _lists.Count)
            throw new ArgumentException($"row has {cells.Length} cells, schema '{Schema.Kind}' has {_lists.Count} columns");
        foreach (var (column, value) in cells) _lists[column].Add(value);
        RowCount++;
    }

    public TableBatch Build()
    {
        var cols = new Dictionary<string, Array>();
        foreach (var (name, list) in _lists)
        {
            var arr = Array.CreateInstance(list.GetType().GetGenericArguments()[0], list.Count);
            list.CopyTo(arr, 0);
            cols[name] = arr;
        }
        return new TableBatch(Schema, cols);
    }

    public void Clear()
    {
        foreach (var l in _lists.Values) l.Clear();
        RowCount = 0;
    }
}
