using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;
using C = PeTools.Core.Tables.Schemas.ContractionColumns;

namespace PeTools.Report.Sections;

/// <summary>
/// Spectral contraction over many random content draws (pe-spectrum contraction): the spread of each PE's logit
/// relative to the content-only logit, mean with its 95% interval, per sequence length and head size (claim C19).
/// </summary>
public sealed class ContractionSection : IReportSection
{
    public const string Statistic = "spread_vs_content";

    public string Title => "Spectral contraction over random content";
    public IReadOnlyList<string> Kinds => [Schemas.Contraction.Kind];

    public SectionContent? Build(ReportData data)
    {
        var rows = ContractionRow.All(data).Where(r => r.Statistic == Statistic).ToList();
        if (rows.Count == 0) return null;
        var panels = new List<Plot>();
        var table = new MarkdownTable("PE", "coupling", "n", "d_head", "spread / content spread: mean [95% CI]", "instances");
        foreach (var d in rows.Select(r => r.DHead).Distinct().Order())
        {
            var plot = ReportStyle.New($"d_head = {d}", "sequence length n", "logit spread / content spread");
            var pes = Variants.Order(rows.Select(r => r.Pe));
            foreach (var (pe, k) in pes.Select((p, k) => (p, k)))
            {
                var mine = rows.Where(r => r.DHead == d && r.Pe == pe).OrderBy(r => r.N).ToList();
                if (mine.Count == 0) continue;
                var xs = mine.Select(r => (double)r.N).ToArray();
                ReportStyle.MeanWithBand(plot, xs, mine.Select(r => r.Mean).ToArray(), mine.Select(r => r.CiLow).ToArray(),
                    mine.Select(r => r.CiHigh).ToArray(), k, $"{pe} ({mine[0].Coupling})");
                foreach (var r in mine)
                    table.Add($"`{pe}`", r.Coupling, r.N.ToString(CultureInfo.InvariantCulture), d.ToString(CultureInfo.InvariantCulture),
                        $"{Summary.Num(r.Mean)} [{Summary.Num(r.CiLow)}, {Summary.Num(r.CiHigh)}]", r.Instances.ToString(CultureInfo.InvariantCulture));
            }
            plot.Add.HorizontalLine(1, 1, Colors.Gray, LinePattern.Dotted);
            panels.Add(plot);
        }
        ReportStyle.LegendOutside(panels[^1]);
        var figure = new Figure("contraction", "Spread of the logit's Hermitian part relative to the content-only logit, mean over " +
            "random content draws (band = 95% CI); below 1 = contraction", panels, Math.Min(1400, 520 * panels.Count + 160), 440);
        return new SectionContent($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\n{table}", [figure]);
    }
}

/// <summary>One row of a contraction table.</summary>
public sealed record ContractionRow(string Pe, string Coupling, int N, int DHead, string Statistic, double Mean, double CiLow, double CiHigh, int Instances)
{
    public static IEnumerable<ContractionRow> All(ReportData data) =>
        data.Inputs.OfKind(Schemas.Contraction).SelectMany(t => Enumerable.Range(0, t.Rows.RowCount).Select(i => new ContractionRow(
            t.Rows.String(C.Pe)[i], t.Rows.String(C.Coupling)[i], t.Rows.Int32(C.N)[i], t.Rows.Int32(C.DHead)[i], t.Rows.String(C.Statistic)[i],
            t.Rows.Float64(C.Mean)[i], t.Rows.Float64(C.CiLow)[i], t.Rows.Float64(C.CiHigh)[i], t.Rows.Int32(C.Instances)[i])));
}
