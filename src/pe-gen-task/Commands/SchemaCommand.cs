using System.CommandLine;
using System.Text;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using static PeTools.Core.Tables.Schemas;

namespace PeTools.GenTask.Commands;

/// <summary>
/// <c>pe-gen-task schema</c>: every table kind of pe-tools (Schemas.All), as a table or as the Markdown the README's
/// schema section is generated from, so the documentation cannot drift from the code.
/// </summary>
public static class SchemaCommand
{
    public static Command Create(ToolContext context)
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var markdown = new Option<bool>("--markdown") { Description = "print Markdown tables (for the README) instead" };
        var cmd = new Command("schema", "Print the columns of every table kind pe-tools reads or writes.")
        {
            output, format, markdown,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            if (parse.GetValue(markdown))
            {
                if (path != TableFormats.StdStream || parse.GetValue(format) is not null)
                    throw new UsageError("option --markdown: writes Markdown to stdout; drop -o/--format");
                var bytes = Encoding.UTF8.GetBytes(Markdown());
                context.Stdout.Write(bytes);
                context.Stdout.Flush();
                return 0;
            }
            var rows = All.SelectMany(s => s.Columns.Select(c => (Schema: s, Column: c))).ToList();
            var batch = new TableBatch(SchemaList, new Dictionary<string, Array>
            {
                [SchemaListColumns.Kind] = rows.Select(r => r.Schema.Kind).ToArray(),
                [SchemaListColumns.Column] = rows.Select(r => r.Column.Name).ToArray(),
                [SchemaListColumns.Type] = rows.Select(r => r.Column.Type.Describe()).ToArray(),
                [SchemaListColumns.Required] = rows.Select(r => r.Column.Required ? "yes" : "no").ToArray(),
                [SchemaListColumns.Description] = rows.Select(r => r.Column.Description).ToArray(),
            });
            TableWriter.WriteTable(path, batch, CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            return 0;
        });
        return cmd.WithExamples(
            new Example("every column of every table kind, as CSV", "pe-gen-task schema"),
            new Example("the README's schema section", "pe-gen-task schema --markdown > schemas.md"),
            new Example("the columns of the dataset table only", "pe-gen-task schema | grep '^dataset,'"));
    }

    /// <summary>One section per schema: heading, description, and a column table.</summary>
    internal static string Markdown()
    {
        var sb = new StringBuilder();
        foreach (var s in All)
        {
            sb.Append("### ").Append(s.Kind).Append("\n\n").Append(Escape(s.Description)).Append("\n\n");
            sb.Append("| column | type | required | description |\n|---|---|---|---|\n");
            foreach (var c in s.Columns)
                sb.Append($"| `{c.Name}` | {Escape(c.Type.Describe())} | {(c.Required ? "yes" : "no")} | {Escape(c.Description)} |\n");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    // "list<int32>" or "test-<len>" would read as HTML tags, and a bare | would end a table cell.
    private static string Escape(string text) => text.Replace("<", "&lt;").Replace(">", "&gt;").Replace("|", "\\|");
}
