using System.Globalization;
using System.Text;
using CsvHelper;
using PeTools.Core.Errors;

namespace PeTools.Core.Tables;

/// <summary>CSV cell encoding shared by the CSV reader and writer: invariant culture, lists as space-separated ints.</summary>
internal static class CsvCells
{
    public static readonly CsvReaderOptions ReaderOptions = new()
    {
        HasHeader = false, // the header is checked here, against the schema
        FieldCountMismatch = CsvFieldCountHandling.Allow, // ragged rows become our one-line error
        FormatProvider = CultureInfo.InvariantCulture,
        SkipEmptyLines = true,
    };

    public static readonly CsvWriterOptions WriterOptions = new()
    {
        NewLine = "\n",
        FormatProvider = CultureInfo.InvariantCulture,
        Injection = CsvInjection.None,
    };

    public static string Format(Array column, ColumnType type, int row) => type switch
    {
        ColumnType.Int32 => ((int[])column)[row].ToString(CultureInfo.InvariantCulture),
        ColumnType.Int64 => ((long[])column)[row].ToString(CultureInfo.InvariantCulture),
        ColumnType.Float64 => ((double[])column)[row].ToString("R", CultureInfo.InvariantCulture),
        ColumnType.String => ((string[])column)[row],
        ColumnType.Int32List => FormatList(((int[][])column)[row]),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static string FormatList(int[] values)
    {
        var sb = new StringBuilder(values.Length * 4);
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(values[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Parses one cell or throws the one-line <see cref="InputError"/> that names it.</summary>
    public static object Parse(string text, ColumnType type, string file, long row, string column)
    {
        InputError Bad() => InputError.AtRow(file, row, column, type.Describe(), Quote(text));
        switch (type)
        {
            case ColumnType.Int32:
                return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw Bad();
            case ColumnType.Int64:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw Bad();
            case ColumnType.Float64:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad();
            case ColumnType.String:
                return text;
            case ColumnType.Int32List:
                var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var list = new int[parts.Length];
                for (int k = 0; k < parts.Length; k++)
                    if (!int.TryParse(parts[k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out list[k]))
                        throw Bad();
                return list;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    public static string Quote(string text) => text.Length > 40 ? $"'{text[..37]}...'" : $"'{text}'";
}

internal sealed class CsvTableWriter : TableWriter
{
    private readonly CsvWriter _csv;

    public CsvTableWriter(string path, TableSchema schema, Stream? stdout) : base(path, schema, stdout, spoolStdout: false)
    {
        _csv = CsvWriter.Create(Sink, CsvCells.WriterOptions, true);
        foreach (var c in schema.Columns) _csv.WriteField(c.Name);
        _csv.EndRecord();
    }

    protected override void WriteRows(TableBatch batch)
    {
        var cols = Schema.Columns.Select(c => (batch.Column(c.Name), c.Type)).ToArray();
        for (int r = 0; r < batch.RowCount; r++)
        {
            foreach (var (data, type) in cols) _csv.WriteField(CsvCells.Format(data, type, r));
            _csv.EndRecord();
        }
    }

    private bool _closed;

    // CsvWriter.Dispose flushes the sink even with leaveOpen, and Commit has closed the file by then: close the
    // CSV writer while its sink is still open, and only once.
    protected override void Finish() => Close();

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _csv.Dispose();
    }

    public override void Dispose()
    {
        Close();
        base.Dispose();
    }
}

internal sealed class CsvTableReader : TableReader
{
    private readonly CsvReader _csv;
    private readonly string[] _header;

    public CsvTableReader(string displayName, Stream stream, TableSchema schema) : base(displayName, schema)
    {
        _csv = CsvReader.Create(stream, CsvCells.ReaderOptions, false);
        try
        {
            if (!_csv.Read())
                throw new InputError(displayName, "line 1", "a CSV header naming the columns", "an empty file");
            _header = Enumerable.Range(0, _csv.FieldCount).Select(i => _csv.GetString(i).Trim()).ToArray();
        }
        catch (CsvFormatException e)
        {
            throw new InputError(displayName, "header", "well-formed CSV", FirstLine(e.Message));
        }
        CheckColumns(_header);
    }

    private static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('.');

    public override IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    public override IEnumerable<TableBatch> ReadBatches(int maxRows = DefaultBatchRows)
    {
        var wanted = Schema.Columns
            .Select(c => (Spec: c, Index: Array.IndexOf(_header, c.Name)))
            .Where(x => x.Index >= 0)
            .ToArray();
        var builder = wanted.Select(w => new List<object>(Math.Min(maxRows, 4096))).ToArray();
        long row = 0;
        while (NextRecord(row + 1))
        {
            row++;
            if (_csv.FieldCount != _header.Length)
                throw new InputError(DisplayName, $"row {row}", $"{_header.Length} fields as in the header",
                    $"{_csv.FieldCount}");
            for (int k = 0; k < wanted.Length; k++)
                builder[k].Add(CsvCells.Parse(_csv.GetString(wanted[k].Index), wanted[k].Spec.Type, DisplayName, row, wanted[k].Spec.Name));
            if (builder[0].Count >= maxRows)
            {
                yield return Build(wanted, builder);
                foreach (var b in builder) b.Clear();
            }
        }
        if (wanted.Length > 0 && builder[0].Count > 0) yield return Build(wanted, builder);
    }

    private bool NextRecord(long row)
    {
        try { return _csv.Read(); }
        catch (CsvFormatException e) { throw new InputError(DisplayName, $"row {row}", "well-formed CSV", FirstLine(e.Message)); }
    }

    private TableBatch Build((ColumnSpec Spec, int Index)[] wanted, List<object>[] values)
    {
        var cols = new Dictionary<string, Array>();
        for (int k = 0; k < wanted.Length; k++)
        {
            var type = wanted[k].Spec.Type.ClrArrayType().GetElementType()!;
            var arr = Array.CreateInstance(type, values[k].Count);
            for (int i = 0; i < values[k].Count; i++) arr.SetValue(values[k][i], i);
            cols[wanted[k].Spec.Name] = arr;
        }
        return new TableBatch(Schema, cols);
    }

    public override IReadOnlyList<string> FileColumns => _header;

    public override void Dispose()
    {
        _csv.Dispose();
        base.Dispose();
    }
}
