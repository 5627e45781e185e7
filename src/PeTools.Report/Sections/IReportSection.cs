using PeTools.Report.Figures;
using PeTools.Report.Results;

namespace PeTools.Report.Sections;

/// <summary>What a section adds to the report: its Markdown body (figures referenced as figures/NAME.png) and figures.</summary>
public sealed record SectionContent(string Markdown, IReadOnlyList<Figure> Figures)
{
    public static SectionContent Text(string markdown) => new(markdown, []);
}

/// <summary>
/// One part of the report, usually one figure kind of the paper. A section declares the table kinds it reads; it is
/// built only when one of them is among the inputs, and may still return null when they hold nothing it can show.
/// Sections are listed once, in <see cref="ReportSections"/>.
/// </summary>
public interface IReportSection
{
    /// <summary>The heading (##) of the section.</summary>
    string Title { get; }

    /// <summary>The table kinds it reads (<see cref="PeTools.Core.Tables.TableSchema.Kind"/>).</summary>
    IReadOnlyList<string> Kinds { get; }

    /// <summary>True when the inputs hold something for this section (default: a table of one of its kinds).</summary>
    bool AppliesTo(ReportData data) => Kinds.Any(data.Inputs.Has);

    SectionContent? Build(ReportData data);
}
