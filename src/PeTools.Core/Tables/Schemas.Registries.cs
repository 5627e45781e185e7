namespace PeTools.Core.Tables;

/// <summary>Tables that list registries: tasks, schemas, positional encodings.</summary>
public static partial class Schemas
{
    public static class TaskListColumns
    {
        public const string Name = "name";
        public const string ContentPosition = "content_position";
        public const string Description = "description";
    }

    /// <summary>The registered synthetic tasks (pe-gen-task list).</summary>
    public static readonly TableSchema TaskList = new("tasks", "the synthetic tasks pe-gen-task can generate",
    [
        new(TaskListColumns.Name, ColumnType.String, "task key, also the pe-gen-task subcommand"),
        new(TaskListColumns.ContentPosition, ColumnType.String, "dependent (needs content and position) or independent"),
        new(TaskListColumns.Description, ColumnType.String, "what the target is"),
    ]);

    public static class SchemaListColumns
    {
        public const string Kind = "kind";
        public const string Column = "column";
        public const string Type = "type";
        public const string Required = "required";
        public const string Description = "description";
    }

    /// <summary>Every column of every schema (pe-gen-task schema), the source of the README schema tables.</summary>
    public static readonly TableSchema SchemaList = new("schemas", "the columns of every pe-tools table kind",
    [
        new(SchemaListColumns.Kind, ColumnType.String, "table kind"),
        new(SchemaListColumns.Column, ColumnType.String, "column name"),
        new(SchemaListColumns.Type, ColumnType.String, "int32, int64, float64, string or list<int32>"),
        new(SchemaListColumns.Required, ColumnType.String, "yes, or no when readers accept its absence"),
        new(SchemaListColumns.Description, ColumnType.String, "what the column holds"),
    ]);

    public static class PositionalEncodingColumns
    {
        public const string Key = "key";
        public const string Coupling = "coupling";
        public const string Description = "description";
    }

    /// <summary>The PE registry as a table (pe-train list-pe).</summary>
    public static readonly TableSchema PositionalEncodings = new("positional-encodings", "the --pe registry (pe-train list-pe)",
    [
        new(PositionalEncodingColumns.Key, ColumnType.String, "the value --pe takes"),
        new(PositionalEncodingColumns.Coupling, ColumnType.String, "none, additive or multiplicative (paper §3)"),
        new(PositionalEncodingColumns.Description, ColumnType.String, "what it is, and its name in the reference code"),
    ]);
}
