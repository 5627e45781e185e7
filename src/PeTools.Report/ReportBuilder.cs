using System.Text;
using PeTools.Core.Logging;
using PeTools.Report.Output;
using PeTools.Report.Results;
using PeTools.Report.Sections;

namespace PeTools.Report;

/// <summary>A rendered figure: where it goes, and its bytes.</summary>
public sealed record RenderedFigure(string Name, string PngPath, string SvgPath, byte[] Png, string Svg);

/// <summary>A whole report in memory: Markdown, the self-contained HTML page, every figure, and the sections shown.</summary>
public sealed record BuiltReport(string Markdown, string Html, IReadOnlyList<RenderedFigure> Figures, IReadOnlyList<string> Sections);

/// <summary>
/// Builds a report from its data: every section of <see cref="ReportSections"/> whose inputs are present, in order,
/// each figure rendered once. Nothing touches the disk here; <see cref="ReportWriter"/> writes the result.
/// </summary>
public static class ReportBuilder
{
    public const string DefaultTitle = "pe-tools report";

    public static BuiltReport Build(ReportData data, string title, IRunLog log, IReadOnlyList<IReportSection>? sections = null)
    {
        var md = new StringBuilder();
        var figures = new List<RenderedFigure>();
        var shown = new List<string>();
        var bodies = new List<(string Title, string Body)>();
        foreach (var section in sections ?? ReportSections.All)
        {
            if (!section.AppliesTo(data)) continue;
            var content = section.Build(data);
            if (content is null) continue;
            foreach (var f in content.Figures)
            {
                if (figures.Any(x => x.Name == f.Name)) throw new InvalidOperationException($"two figures named {f.Name}");
                var (png, svg) = f.Render();
                figures.Add(new RenderedFigure(f.Name, f.PngPath, f.SvgPath, png, svg));
            }
            shown.Add(section.Title);
            bodies.Add((section.Title, content.Markdown));
            log.Info($"section '{section.Title}': {content.Figures.Count} figure(s)");
        }

        md.Append("# ").Append(title).Append("\n\n");
        md.Append(Intro(data)).Append("\n\n");
        foreach (var (t, _) in bodies) md.Append("- [").Append(t).Append("](#").Append(Anchor(t)).Append(")\n");
        foreach (var (t, body) in bodies) md.Append("\n## ").Append(t).Append("\n\n").Append(body.TrimEnd()).Append('\n');
        var markdown = md.ToString();
        var html = HtmlPage.Render(title, markdown, figures.ToDictionary(f => f.PngPath, f => f.Png));
        return new BuiltReport(markdown, html, figures, shown);
    }

    private static string Intro(ReportData data)
    {
        var runs = data.Inputs.Tables.Where(t => t.Run is not null).Select(t => t.Run!.Name).Distinct().Count();
        var kinds = data.Inputs.Tables.GroupBy(t => t.Kind).Select(g => $"{g.Count()} {g.Key}");
        return $"Built by pe-report from {data.Inputs.Tables.Count} tables ({string.Join(", ", kinds)}) of {runs} runs" +
               (data.Tasks.Count > 0 ? $" on {string.Join(" and ", data.Tasks)}" : "") +
               ". Layers and heads are 0-based; accuracies are fractions; ± is the sample std over seeds.";
    }

    /// <summary>The id Markdig's auto-identifiers give a heading (lower case, spaces to '-', punctuation dropped).</summary>
    public static string Anchor(string heading)
    {
        var sb = new StringBuilder();
        foreach (var c in heading.ToLowerInvariant())
            if (char.IsLetterOrDigit(c) || c is '-' or '_' or '.') sb.Append(c);
            else if (c == ' ') sb.Append('-');
        return sb.ToString().Trim('-');
    }
}
