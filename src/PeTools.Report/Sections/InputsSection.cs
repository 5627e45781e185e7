using System.Globalization;
using PeTools.Report.Output;
using PeTools.Report.Results;

namespace PeTools.Report.Sections;

/// <summary>The tables the report was built from: file, kind, run, rows, and where the run's identity came from.</summary>
public sealed class InputsSection : IReportSection
{
    public string Title => "Inputs";
    public IReadOnlyList<string> Kinds => [];

    public bool AppliesTo(ReportData data) => data.Inputs.Tables.Count > 0;

    public SectionContent? Build(ReportData data)
    {
        var table = new MarkdownTable("file", "kind", "run (task/PE/seed)", "rows", "run identified by");
        foreach (var t in data.Inputs.Tables)
            table.Add($"`{t.Path}`", t.Kind, t.Run?.Name ?? "–", t.Rows.RowCount.ToString(CultureInfo.InvariantCulture), t.Run?.Source ?? "–");
        var skipped = data.Inputs.Skipped.Count == 0 ? "" :
            "\n\nSkipped: " + string.Join("; ", data.Inputs.Skipped.Select(s => $"`{s.Path}` ({s.Reason})")) + ".";
        return SectionContent.Text(table + skipped);
    }
}
