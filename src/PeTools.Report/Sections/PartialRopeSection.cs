using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;

namespace PeTools.Report.Sections;

/// <summary>
/// Final test accuracy against the number K of RoPE heads (pe-train --rope-heads K; the other heads get no PE), with
/// NoPE as K = 0 and full RoPE as K = heads when those runs are there (paper Fig. 6, claim C14).
/// </summary>
public sealed class PartialRopeSection : IReportSection
{
    public string Title => "Partial RoPE: accuracy against the number of RoPE heads";
    public IReadOnlyList<string> Kinds => [Schemas.Metrics.Kind];

    public bool AppliesTo(ReportData data) => data.Curves.Any(c => Variants.IsPartialRope(c.Run.Variant));

    public SectionContent? Build(ReportData data)
    {
        var panels = new List<Plot>();
        var table = new MarkdownTable("task", "K RoPE heads", "PE", "final test accuracy");
        foreach (var task in data.Tasks)
        {
            var points = Points(data, task);
            if (!points.Any(p => Variants.IsPartialRope(p.Variant))) continue;
            var plot = ReportStyle.New($"{task}: test accuracy vs RoPE heads", "RoPE heads K (0 = NoPE)", "final test accuracy");
            var bars = points.Select(p => new Bar
            {
                Position = p.K,
                Value = p.Accuracy.Mean,
                Error = p.Accuracy.N > 1 ? p.Accuracy.Std : 0,
                FillColor = ReportStyle.ColorAt(panels.Count == 0 ? 0 : 2),
                Size = 0.7,
            }).ToList();
            plot.Add.Bars(bars);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                points.Select(p => new Tick(p.K, p.K.ToString(CultureInfo.InvariantCulture))).ToArray());
            plot.Axes.SetLimitsY(0, 1.02);
            panels.Add(plot);
            foreach (var p in points) table.Add(task, p.K.ToString(CultureInfo.InvariantCulture), $"`{p.Variant}`", p.Accuracy.Format());
        }
        if (panels.Count == 0) return null;
        var figure = new Figure("partial-rope", "Final test accuracy against the number of RoPE heads K, mean over seeds (error bar = std)",
            panels, 620 * panels.Count, 420);
        return new SectionContent($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\n{table}", [figure]);
    }

    private static List<(int K, string Variant, Summary Accuracy)> Points(ReportData data, string task)
    {
        var points = new List<(int K, string Variant, Summary Accuracy)>();
        foreach (var v in data.VariantsWithCurves(task))
        {
            var runs = data.CurvesOf(task, v);
            int? k = Variants.RopeHeads(v) ?? (v == "nope" ? 0 : v == "rope" ? runs[0].Run.Heads : null);
            if (k is { } kk) points.Add((kk, v, data.FinalTest(task, v)));
        }
        return points.OrderBy(p => p.K).ThenBy(p => p.Variant, StringComparer.Ordinal).ToList();
    }
}
