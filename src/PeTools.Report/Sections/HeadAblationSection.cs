using System.Globalization;
using PeTools.Core.Heads;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;

namespace PeTools.Report.Sections;

/// <summary>
/// Single-head ablation as a layer × head heatmap of accuracy drops per PE and task, mean over seeds (paper Figs. 4,
/// 5-right and 7), and the deposit label of every layer per seed (pe-heads deposit's thresholds).
/// </summary>
public sealed class HeadAblationSection : IReportSection
{
    public string Title => "Head ablation: the single-head deposit";
    public IReadOnlyList<string> Kinds => [Schemas.Ablation.Kind];

    public SectionContent? Build(ReportData data)
    {
        if (data.Ablations.Count == 0) return null;
        var figures = new List<Figure>();
        var md = new List<string>
        {
            "Each head zero-ablated alone (its output set to 0, the paper's W_V-row zeroing); colour = accuracy drop " +
            $"(baseline − ablated), mean over seeds; layers and heads are 0-based (the paper's layer 1, head 2 = our layer 0, head 1). " +
            $"Labels per layer: deposit = top drop ≥ {Num(RunAblation.Thresholds.DepositDrop)} and ≥ {Num(RunAblation.Thresholds.DepositConcentration)} " +
            $"of all positive drops; shock = median drop ≥ {Num(RunAblation.Thresholds.ShockMedian)}; spread = some drop ≥ {Num(RunAblation.Thresholds.DepositDrop)}; " +
            "else average. Rows evaluated: " + string.Join(", ", data.Ablations.Select(a => $"{a.Mode}/{a.Split}").Distinct()) + ".",
        };
        foreach (var task in data.Tasks)
        {
            var variants = data.VariantOrder.Where(v => data.AblationsOf(task, v).Count > 0).ToList();
            if (variants.Count == 0) continue;
            int maxLayers = variants.Max(v => data.AblationsOf(task, v)[0].Layers);
            var table = new MarkdownTable(["PE", "baseline", .. Enumerable.Range(0, maxLayers).Select(l => $"layer {l}")]);
            foreach (var v in variants)
            {
                var runs = data.AblationsOf(task, v).Where(r => r.Layers == data.AblationsOf(task, v)[0].Layers && r.Heads == data.AblationsOf(task, v)[0].Heads).ToList();
                figures.Add(Heatmap(task, v, runs));
                md.Add($"![{figures[^1].Caption}]({figures[^1].PngPath})");
                var cells = new List<string> { $"`{v}`", Summary.Of(runs.Select(r => r.Baseline)).Format() };
                for (int l = 0; l < maxLayers; l++) cells.Add(l < runs[0].Layers ? LayerCell(runs, l) : "");
                table.Add([.. cells]);
            }
            md.Add($"**{Names.Task(task)}**: per layer, the label (with its count over seeds when they differ), the top head of each seed, and the top drop.\n\n{table}");
        }
        return new SectionContent(string.Join("\n\n", md), figures);
    }

    /// <summary>"deposit · head 1 · 0.324" (one seed) or "deposit 1/3, average 2/3 · heads 1,5,4 · 0.174 ± 0.13" (several).</summary>
    public static string LayerCell(IReadOnlyList<RunAblation> runs, int layer)
    {
        var s = runs.Select(r => r.Layer(layer)).ToList();
        var labels = s.GroupBy(x => x.Pattern).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => s.Count == 1 || g.Count() == s.Count ? g.Key.Name() : $"{g.Key.Name()} {g.Count()}/{s.Count}");
        var heads = string.Join(",", s.Select(x => x.TopHead.ToString(CultureInfo.InvariantCulture)));
        var drop = Summary.Of(s.Select(x => x.TopDrop));
        return $"{string.Join(", ", labels)} · head{(s.Count > 1 ? "s" : "")} {heads} · {(s.Count == 1 ? Num(drop.Mean) : $"{Num(drop.Mean)} ± {Num(drop.Std)}")}";
    }

    private static Figure Heatmap(string task, string variant, IReadOnlyList<RunAblation> runs)
    {
        int layers = runs[0].Layers, heads = runs[0].Heads;
        var mean = new double[layers, heads];
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
                mean[l, h] = runs.Average(r => r.Drops[l][h]);
        var plot = ReportStyle.New($"{task} · {variant}: accuracy drop per head (n={runs.Count})", "head", "layer");
        var hm = plot.Add.Heatmap(mean);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        // Cells centred on integers, row 0 of the array on top: layer l sits at y = layers − 1 − l, labelled l.
        hm.CellAlignment = Alignment.MiddleCenter;
        double top = Math.Max(0.05, mean.Cast<double>().Max());
        hm.ManualRange = new ScottPlot.Range(Math.Min(0, mean.Cast<double>().Min()), top);
        var bar = plot.Add.ColorBar(hm);
        bar.Label = "accuracy drop";
        if (layers <= 12 && heads <= 16)
            for (int l = 0; l < layers; l++)
                for (int h = 0; h < heads; h++)
                {
                    var t = plot.Add.Text(Cell(mean[l, h]), h, layers - 1 - l);
                    t.Alignment = Alignment.MiddleCenter;
                    t.LabelFontSize = heads <= 8 ? 12 : 10;
                    t.LabelFontColor = mean[l, h] > top * 0.6 ? Colors.Black : Colors.White;
                }
        ReportStyle.IntegerTicksX(plot, heads);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, layers).Select(l => new Tick(layers - 1 - l, l.ToString(CultureInfo.InvariantCulture))).ToArray());
        plot.Axes.SetLimits(-0.5, heads - 0.5, -0.5, layers - 0.5);
        int height = Math.Clamp(140 + 42 * layers, 260, 560);
        return new Figure(Names.File("ablation", task, variant),
            $"{Names.Task(task)}, {variant}: accuracy drop when each head is ablated alone, mean over {runs.Count} seed(s), split {runs[0].Split}",
            plot, Math.Clamp(200 + 48 * heads, 520, 1000), height);
    }

    private static string Num(double x) => Summary.Num(x);

    private static string Cell(double x) => Math.Round(x, 2) == 0 ? "0.00" : x.ToString("0.00", CultureInfo.InvariantCulture);
}
