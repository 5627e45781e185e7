using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Inputs;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;

namespace PeTools.Report.Sections;

/// <summary>
/// Sharpness of the loss over training (pe-spectrum hessian): the top Hessian eigenvalue and the trace per PE, mean
/// over seeds with a min–max band (claim C20: contraction → stabler optimisation). The table's other rows (residual
/// bounds, Lanczos bookkeeping, the density grid) describe one measurement, not a curve, and are left out.
/// </summary>
public sealed class SharpnessSection : IReportSection
{
    /// <summary>The quantities drawn as curves, in panel order.</summary>
    public static readonly IReadOnlyList<string> Curves = [Schemas.HessianColumns.TopEigenvalue, Schemas.HessianColumns.Trace];

    public string Title => "Sharpness during training (loss Hessian)";
    public IReadOnlyList<string> Kinds => [Schemas.Hessian.Kind];

    public SectionContent? Build(ReportData data)
    {
        var all = HessianRow.All(data);
        if (all.Count == 0) return null;
        var scope = HessianRow.PreferredScope(all);
        var rows = all.Where(r => r.Scope == scope).ToList();
        var quantities = Curves.Where(q => rows.Any(r => r.Quantity == q)).ToList();
        if (quantities.Count == 0) return null;
        var pes = Variants.Order(rows.Select(r => r.Pe));
        var panels = new List<Plot>();
        var table = new MarkdownTable("PE", "quantity", "last step", "value at the last step (over seeds)");
        foreach (var q in quantities)
        {
            var plot = ReportStyle.New(q, "optimizer step", q.Replace('_', ' '));
            foreach (var (pe, k) in pes.Select((p, k) => (p, k)))
            {
                var mine = rows.Where(r => r.Quantity == q && r.Pe == pe).ToList();
                if (mine.Count == 0) continue;
                var band = SeedBand.Of(mine.GroupBy(r => r.Seed).Select(g => (IReadOnlyList<(double, double)>)g.Select(r => ((double)r.Step, r.Value)).ToList()).ToList());
                ReportStyle.MeanWithBand(plot, band.Xs, band.Mean, band.Seeds > 1 ? band.Min : null, band.Seeds > 1 ? band.Max : null, k, $"{pe} (n={band.Seeds})");
                long last = mine.Max(r => r.Step);
                table.Add($"`{pe}`", q, last.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Summary.Of(mine.GroupBy(r => r.Seed).Select(g => g.OrderBy(r => r.Step).Last().Value)).Format());
            }
            panels.Add(plot);
        }
        ReportStyle.LegendOutside(panels[^1]);
        var figure = new Figure("sharpness", $"Loss-Hessian quantities over training per PE (scope {(scope.Length == 0 ? "model" : scope)}), mean over seeds, band = min–max",
            panels, Math.Min(1500, 560 * panels.Count + 160), 440);
        return new SectionContent($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\n{table}", [figure]);
    }
}
