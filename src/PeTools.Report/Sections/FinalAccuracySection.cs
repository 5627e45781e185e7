using PeTools.Core.Tables;
using PeTools.Report.Output;
using PeTools.Report.Results;

namespace PeTools.Report.Sections;

/// <summary>Final test accuracy, PE × task, mean ± std over seeds (the paper's table and the ends of Figs. 2–3).</summary>
public sealed class FinalAccuracySection : IReportSection
{
    public string Title => "Final test accuracy (PE × task)";
    public IReadOnlyList<string> Kinds => [Schemas.Metrics.Kind];

    public SectionContent? Build(ReportData data)
    {
        if (data.Curves.Count == 0) return null;
        var tasks = data.Tasks.Where(t => data.Curves.Any(c => c.Run.Task == t)).ToList();
        var epochs = data.Curves.Select(c => c.Epochs).Distinct().Order().ToList();
        bool sameEpochs = epochs.Count == 1;
        var table = new MarkdownTable(["PE", .. tasks.SelectMany(t => new[] { $"{t}: test", $"{t}: train − test" })]);
        foreach (var v in data.VariantOrder.Where(v => data.Curves.Any(c => c.Run.Variant == v)))
        {
            var cells = new List<string> { $"`{v}`" };
            foreach (var t in tasks)
            {
                var runs = data.CurvesOf(t, v);
                var test = data.FinalTest(t, v).Format();
                if (!sameEpochs && runs.Count > 0) test += $", epoch {Summary.Num(runs.Max(r => r.Epochs), 0)}";
                cells.Add(runs.Count == 0 ? "–" : test);
                cells.Add(runs.Count == 0 ? "–" : Summary.Of(runs.Select(r => r.Gap)).Format());
            }
            table.Add([.. cells]);
        }
        var when = sameEpochs ? $"after epoch {Summary.Num(epochs[0], 0)} (every run)" : "at each run's last evaluation (epoch given)";
        return SectionContent.Text(
            $"Accuracy of the last test evaluation {when}, mean ± sample std over seeds (n = number of seeds); " +
            "train − test is the generalisation gap of the same runs (paper Fig. 1, claim C3).\n\n" + table);
    }
}
