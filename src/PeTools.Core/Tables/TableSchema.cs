namespace PeTools.Core.Tables;

/// <summary>The cell types a pe-tools table can hold.</summary>
public enum ColumnType
{
    Int32,
    Int64,
    Float64,
    String,
    /// <summary>A list of int32: Parquet LIST&lt;INT32&gt; (pyarrow: list&lt;int32&gt;), CSV: space-separated ints.</summary>
    Int32List,
}

public static class ColumnTypes
{
    /// <summary>The name used in error messages and in the README schema tables.</summary>
    public static string Describe(this ColumnType type) => type switch
    {
        ColumnType.Int32 => "int32",
        ColumnType.Int64 => "int64",
        ColumnType.Float64 => "float64",
        ColumnType.String => "string",
        ColumnType.Int32List => "list<int32>",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static Type ClrArrayType(this ColumnType type) => type switch
    {
        ColumnType.Int32 => typeof(int[]),
        ColumnType.Int64 => typeof(long[]),
        ColumnType.Float64 => typeof(double[]),
        ColumnType.String => typeof(string[]),
        ColumnType.Int32List => typeof(int[][]),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

/// <summary>One column of a schema. Optional columns may be absent from an input file.</summary>
public sealed record ColumnSpec(string Name, ColumnType Type, string Description, bool Required = true);

/// <summary>
/// A table kind (dataset, metrics, spectrum, ...): its name and columns. Declared once in <see cref="Schemas"/>;
/// readers check files against it, writers write exactly it, and pe-report recognises a table by it.
/// </summary>
public sealed record TableSchema(string Kind, string Description, IReadOnlyList<ColumnSpec> Columns)
{
    public ColumnSpec? Find(string name) => Columns.FirstOrDefault(c => c.Name == name);

    public ColumnSpec Get(string name) =>
        Find(name) ?? throw new ArgumentException($"schema '{Kind}' has no column '{name}'", nameof(name));

    /// <summary>True when every required column of this schema is among <paramref name="names"/>.</summary>
    public bool IsSatisfiedBy(IEnumerable<string> names)
    {
        var set = names.ToHashSet(StringComparer.Ordinal);
        return Columns.Where(c => c.Required).All(c => set.Contains(c.Name));
    }
}
