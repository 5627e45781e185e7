using System.Text;

namespace PeTools.Report.Output;

/// <summary>A GitHub-flavoured Markdown pipe table, built row by row (cells have '|' escaped and newlines folded).</summary>
public sealed class MarkdownTable(params string[] header)
{
    private readonly List<string[]> _rows = [];

    public int RowCount => _rows.Count;

    public MarkdownTable Add(params string[] cells)
    {
        if (cells.Length != header.Length)
            throw new ArgumentException($"row has {cells.Length} cells, the header {header.Length}", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Line(sb, header);
        sb.Append('|').Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
        foreach (var row in _rows) Line(sb, row);
        return sb.ToString();
    }

    public static string Escape(string cell) => cell.Replace("|", "\\|").ReplaceLineEndings(" ");

    private static void Line(StringBuilder sb, string[] cells) =>
        sb.Append("| ").Append(string.Join(" | ", cells.Select(Escape))).Append(" |\n");
}
