using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;
using P = PeTools.Core.Tables.Schemas.ProbeColumns;

namespace PeTools.Report.Sections;

/// <summary>
/// The gradient probes of pe-train --probe-every (paper Props. 6.1 and 6.2): per PE, the largest batch coherence and
/// gradient norm of a zero relative-position bias over the heads of layer 0, over training; at initialisation, per layer.
/// </summary>
public sealed class ProbesSection : IReportSection
{
    public string Title => "Positional gradient probes";
    public IReadOnlyList<string> Kinds => [Schemas.Probes.Kind];

    private static readonly (string Quantity, string Label)[] Panels =
    [
        (P.BiasCoherence, "bias-gradient coherence ‖Σ g_b‖ / Σ ‖g_b‖"),
        (P.BiasGrad, "bias-gradient norm"),
    ];

    public SectionContent? Build(ReportData data)
    {
        var figures = new List<Figure>();
        var md = new List<string>();
        foreach (var task in data.Tasks)
        {
            var variants = data.VariantOrder.Where(v => data.ProbesOf(task, v).Count > 0).ToList();
            if (variants.Count == 0) continue;
            var panels = new List<Plot>();
            foreach (var (quantity, label) in Panels)
            {
                var plot = ReportStyle.New($"{task}: layer 0, max over heads", "optimizer step", label);
                foreach (var v in variants)
                {
                    var runs = data.ProbesOf(task, v);
                    var band = SeedBand.Of(runs.Select(r => (IReadOnlyList<(double, double)>)r.Steps
                        .Select(s => ((double)s, r.Statistic(s, quantity, "max", [0]))).ToList()).ToList());
                    if (band.Xs.Length > 0)
                        ReportStyle.MeanWithBand(plot, band.Xs, band.Mean, band.Seeds > 1 ? band.Min : null, band.Seeds > 1 ? band.Max : null,
                            data.ColorIndex(v), $"{v} (n={runs.Count})");
                }
                panels.Add(plot);
            }
            ReportStyle.LegendOutside(panels[^1]);
            var figure = new Figure(Names.File("probes", task),
                $"{Names.Task(task)}: gradient of a zero relative bias in layer 0, the largest over heads, over training (mean over seeds)",
                panels, 1280, 440);
            figures.Add(figure);
            var table = new MarkdownTable("PE", "layer", "max coherence", "median coherence", "max bias-gradient norm");
            foreach (var v in variants)
            {
                var runs = data.ProbesOf(task, v);
                var layers = runs.SelectMany(r => r.Rows.Values.SelectMany(x => x.Select(y => y.Layer))).Distinct().Order();
                foreach (var l in layers)
                {
                    string Cell(string q, string stat) => Summary.Of(runs.Select(r => r.Statistic(r.Steps[0], q, stat, [l]))).Format();
                    table.Add($"`{v}`", l.ToString(CultureInfo.InvariantCulture), Cell(P.BiasCoherence, "max"), Cell(P.BiasCoherence, "median"), Cell(P.BiasGrad, "max"));
                }
            }
            md.Add($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\nAt the first probe (initialisation), per layer, over the heads:\n\n{table}");
        }
        return figures.Count == 0 ? null : new SectionContent(
            "Coherence 1 means every sample's positional gradient points the same way (a \"seed\", Prop. 6.1); ≈ 1/√batch means " +
            "they cancel (Prop. 6.2).\n\n" + string.Join("\n\n", md), figures);
    }
}
