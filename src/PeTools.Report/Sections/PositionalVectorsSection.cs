using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;

namespace PeTools.Report.Sections;

/// <summary>
/// Paper Fig. 8: accuracy when the PE's own vectors p_i are subtracted at a layer's input, against subtracting
/// norm-matched random vectors (mean ± std over draws), per layer, for PEs that add vectors at the input.
/// </summary>
public sealed class PositionalVectorsSection : IReportSection
{
    public string Title => "Where positional information is stored (positional-vector removal)";
    public IReadOnlyList<string> Kinds => [Schemas.PositionalVectors.Kind];

    public SectionContent? Build(ReportData data)
    {
        var figures = new List<Figure>();
        var md = new List<string>();
        foreach (var task in data.Tasks)
        {
            var variants = data.VariantOrder.Where(v => data.PosvecsOf(task, v).Count > 0).ToList();
            if (variants.Count == 0) continue;
            var panels = new List<Plot>();
            var table = new MarkdownTable("PE", "layer", "remove p_i", "remove random (mean ± std over draws)", "gap (random − p_i)");
            foreach (var v in variants)
            {
                var runs = data.PosvecsOf(task, v);
                var layers = runs[0].Layers.Select(l => l.Layer).ToArray();
                double Mean(int layer, Func<PosvecLayer, double> f) => runs.Average(r => r.Layers.Where(x => x.Layer == layer).Select(f).DefaultIfEmpty(double.NaN).First());
                var xs = layers.Select(l => (double)l).ToArray();
                var pos = layers.Select(l => Mean(l, x => x.Positional)).ToArray();
                var rnd = layers.Select(l => Mean(l, x => x.RandomMean)).ToArray();
                var sd = layers.Select(l => Mean(l, x => x.RandomStd)).ToArray();
                var plot = ReportStyle.New($"{task} · {v} (n={runs.Count})", "layer whose input loses the vectors", "accuracy");
                ReportStyle.MeanWithBand(plot, xs, rnd, rnd.Zip(sd, (m, s) => m - s).ToArray(), rnd.Zip(sd, (m, s) => m + s).ToArray(), 7, "remove random (± std)");
                ReportStyle.MeanWithBand(plot, xs, pos, null, null, 3, "remove p_i");
                ReportStyle.Reference(plot, runs.Average(r => r.Baseline), "intact model");
                ReportStyle.IntegerTicksX(plot, layers.Length);
                plot.Axes.SetLimitsY(0, 1.02);
                plot.ShowLegend(Alignment.LowerRight);
                panels.Add(plot);
                for (int i = 0; i < layers.Length; i++)
                    table.Add($"`{v}`", layers[i].ToString(CultureInfo.InvariantCulture), Summary.Num(pos[i]),
                        $"{Summary.Num(rnd[i])} ± {Summary.Num(sd[i])}", Summary.Num(rnd[i] - pos[i]));
            }
            var figure = new Figure(Names.File("posvec", task),
                $"{Names.Task(task)}: accuracy with p_i (red) or norm-matched random vectors (grey band: ± std over draws) subtracted at a layer's input",
                panels, Math.Min(1400, 560 * panels.Count), 420);
            figures.Add(figure);
            md.Add($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\n{table}");
        }
        return figures.Count == 0 ? null : new SectionContent(
            "Removing p_i hurting more than a random vector of the same norm means the activations still carry explicit " +
            "positional directions at that layer (paper Fig. 8, claims C17, C18, C24).\n\n" + string.Join("\n\n", md), figures);
    }
}
