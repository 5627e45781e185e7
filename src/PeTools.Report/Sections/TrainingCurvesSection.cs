using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Results;

namespace PeTools.Report.Sections;

/// <summary>Train and test accuracy per epoch for every PE, per task (paper Figs. 2, 3 and 5).</summary>
public sealed class TrainingCurvesSection : IReportSection
{
    public string Title => "Training curves";
    public IReadOnlyList<string> Kinds => [Schemas.Metrics.Kind];

    public SectionContent? Build(ReportData data)
    {
        var figures = new List<Figure>();
        var text = new List<string>();
        foreach (var task in data.Tasks)
        {
            var variants = data.VariantsWithCurves(task);
            // Partial-RoPE runs have their own section (Fig. 6); keep them here only when nothing else was run.
            if (variants.Any(v => !Variants.IsPartialRope(v))) variants = variants.Where(v => !Variants.IsPartialRope(v)).ToList();
            if (variants.Count == 0) continue;
            var train = ReportStyle.New($"{task}: train accuracy", "epoch", "accuracy");
            var test = ReportStyle.New($"{task}: test accuracy", "epoch", "accuracy");
            foreach (var v in variants)
            {
                var runs = data.CurvesOf(task, v);
                Draw(train, runs.Select(r => r.Train).ToList(), data.ColorIndex(v), v);
                Draw(test, runs.Select(r => r.Test).ToList(), data.ColorIndex(v), $"{v} (n={runs.Count})");
            }
            train.Axes.SetLimitsY(0, 1.02);
            test.Axes.SetLimitsY(0, 1.02);
            train.HideLegend();
            ReportStyle.LegendOutside(test);
            var figure = new Figure(Names.File("curves", task),
                $"{Names.Task(task)}: train (left) and test (right) accuracy per epoch; line = mean over seeds, band = min–max",
                [train, test], 1280, 470);
            figures.Add(figure);
            text.Add($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*");
        }
        return figures.Count == 0 ? null : new SectionContent(string.Join("\n\n", text), figures);
    }

    private static void Draw(ScottPlot.Plot plot, IReadOnlyList<IReadOnlyList<CurvePoint>> seeds, int color, string label)
    {
        var band = SeedBand.Of(seeds.Select(s => (IReadOnlyList<(double, double)>)s.Select(p => (p.Epoch, p.Accuracy)).ToList()).ToList());
        if (band.Xs.Length == 0) return;
        ReportStyle.MeanWithBand(plot, band.Xs, band.Mean, band.Seeds > 1 ? band.Min : null, band.Seeds > 1 ? band.Max : null, color, label);
    }
}
