using MathNet.Numerics.Statistics;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Results;
using ScottPlot;

namespace PeTools.Report.Sections;

/// <summary>
/// Per layer, the distribution of the single-head ablation drops (all heads of all seeds) as box plots, one box per
/// PE, per task: the paper's violins (Fig. 4 right, Fig. 7), where a deposit is a long upper tail in shallow layers.
/// </summary>
public sealed class DropDistributionSection : IReportSection
{
    public string Title => "Head-ablation drops per layer";
    public IReadOnlyList<string> Kinds => [Schemas.Ablation.Kind];

    public SectionContent? Build(ReportData data)
    {
        var figures = new List<Figure>();
        foreach (var task in data.Tasks)
        {
            var variants = data.VariantOrder.Where(v => data.AblationsOf(task, v).Count > 0).ToList();
            if (variants.Count == 0) continue;
            int layers = variants.Max(v => data.AblationsOf(task, v).Max(a => a.Layers));
            var plot = ReportStyle.New($"{task}: accuracy drop per head, by layer", "layer", "accuracy drop (baseline − ablated)");
            double width = 0.8 / variants.Count;
            for (int k = 0; k < variants.Count; k++)
            {
                var runs = data.AblationsOf(task, variants[k]);
                var boxes = new List<Box>();
                for (int l = 0; l < layers; l++)
                {
                    var drops = runs.Where(r => l < r.Layers).SelectMany(r => r.Drops[l]).ToArray();
                    if (drops.Length == 0) continue;
                    boxes.Add(new Box
                    {
                        Position = l - 0.4 + width * (k + 0.5),
                        Width = width * 0.85,
                        BoxMin = drops.LowerQuartile(),
                        BoxMax = drops.UpperQuartile(),
                        BoxMiddle = drops.Median(),
                        WhiskerMin = drops.Min(),
                        WhiskerMax = drops.Max(),
                    });
                }
                var plottable = plot.Add.Boxes(boxes);
                // The plottable's colours win over each box's (ScottPlot gives each plottable the next palette colour).
                plottable.FillColor = ReportStyle.ColorAt(data.ColorIndex(variants[k])).WithAlpha(0.55);
                plottable.LineColor = Colors.Black.WithAlpha(0.75);
                plottable.LegendText = $"{variants[k]} (n={runs.Count})";
            }
            plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dotted);
            ReportStyle.IntegerTicksX(plot, layers);
            plot.Axes.SetLimitsX(-0.6, layers - 0.4);
            ReportStyle.LegendOutside(plot);
            figures.Add(new Figure(Names.File("drops", task),
                $"{Names.Task(task)}: per layer, the drops of every head of every seed (box = quartiles, whiskers = min–max)",
                plot, Math.Clamp(420 + 110 * layers, 760, 1280), 460));
        }
        if (figures.Count == 0) return null;
        return new SectionContent(
            "A deposit shows as one head far above the box of its layer; a shock as a whole box well above 0.\n\n" +
            string.Join("\n\n", figures.Select(f => $"![{f.Caption}]({f.PngPath})\n\n*{f.Caption}.*")), figures);
    }
}
