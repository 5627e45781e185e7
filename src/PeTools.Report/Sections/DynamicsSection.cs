using System.Globalization;
using PeTools.Core.Heads;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Inputs;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;
using D = PeTools.Core.Tables.Schemas.DynamicsColumns;

namespace PeTools.Report.Sections;

/// <summary>
/// How the deposit forms during training (pe-heads dynamics): the drop of every head of the deposit layer at every
/// weight snapshot, and Margin_l = top drop − runner-up drop of every layer over training (paper Thm 6.1, claim C23).
/// </summary>
public sealed class DynamicsSection : IReportSection
{
    public string Title => "Deposit dynamics during training";
    public IReadOnlyList<string> Kinds => [Schemas.DynamicsDrops.Kind];

    public SectionContent? Build(ReportData data)
    {
        var figures = new List<Figure>();
        var md = new List<string>();
        var table = new MarkdownTable("run", "layer", "final top head", "final top drop", "final margin", "deposit step");
        foreach (var t in data.Inputs.OfKind(Schemas.DynamicsDrops).OrderBy(t => t.Run!.Name, StringComparer.Ordinal))
        {
            var d = Read(t);
            if (d.Count == 0) continue;
            var steps = d.Keys.Select(k => k.Step).Distinct().Order().ToArray();
            var layers = d.Keys.Select(k => k.Layer).Distinct().Order().ToArray();
            long last = steps[^1];
            var final = layers.ToDictionary(l => l, l => DepositScore.Summarise(Drops(d, last, l), RunAblation.Thresholds));
            int deep = layers.MaxBy(l => final[l].TopDrop);

            var heads = ReportStyle.New($"{t.Run!.Name}: layer {deep}, drop per head", "optimizer step", "accuracy drop");
            int nHeads = Drops(d, last, deep).Length;
            for (int h = 0; h < nHeads; h++)
            {
                var ys = steps.Select(s => Drops(d, s, deep) is var x && h < x.Length ? x[h] : double.NaN).ToArray();
                var line = heads.Add.ScatterLine(steps.Select(s => (double)s).ToArray(), ys,
                    h == final[deep].TopHead ? ReportStyle.ColorAt(3) : Colors.Gray.WithAlpha(0.6));
                line.LineWidth = h == final[deep].TopHead ? 3 : 1;
                if (h == final[deep].TopHead) line.LegendText = $"head {h} (final top)";
            }
            heads.ShowLegend(Alignment.UpperLeft);
            var margins = ReportStyle.New($"{t.Run.Name}: Margin per layer", "optimizer step", "top drop − runner-up drop");
            foreach (var l in layers)
                ReportStyle.MeanWithBand(margins, steps.Select(s => (double)s).ToArray(),
                    steps.Select(s => DepositScore.Summarise(Drops(d, s, l), RunAblation.Thresholds).Margin).ToArray(), null, null, l, $"layer {l}");
            ReportStyle.LegendOutside(margins);
            var figure = new Figure(Names.File("dynamics", t.Run.Task, t.Run.Variant, "s" + t.Run.Seed.ToString(CultureInfo.InvariantCulture)),
                $"{t.Run.Name}: left, every head's drop in layer {deep} over training (final top head in red); right, Margin_l per layer",
                [heads, margins], 1280, 440);
            figures.Add(figure);
            md.Add($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*");
            foreach (var l in layers)
            {
                var f = final[l];
                var formed = steps.FirstOrDefault(s => Drops(d, s, l) is var x && f.TopHead < x.Length &&
                                                       DepositScore.Summarise(x, RunAblation.Thresholds).TopHead == f.TopHead &&
                                                       x[f.TopHead] >= RunAblation.Thresholds.DepositDrop, -1);
                table.Add(t.Run.Name, l.ToString(CultureInfo.InvariantCulture), f.TopHead.ToString(CultureInfo.InvariantCulture),
                    Summary.Num(f.TopDrop), Summary.Num(f.Margin), formed < 0 ? "never" : formed.ToString(CultureInfo.InvariantCulture));
            }
        }
        if (figures.Count == 0) return null;
        md.Add($"Deposit step: the first snapshot at which the final top head is already on top with a drop ≥ {Summary.Num(RunAblation.Thresholds.DepositDrop)}.\n\n{table}");
        return new SectionContent(string.Join("\n\n", md), figures);
    }

    private static Dictionary<(long Step, int Layer), double[]> Read(LoadedTable t)
    {
        var b = t.Rows;
        var (step, layer, head, drop) = (b.Int64(D.Step), b.Int32(D.Layer), b.Int32(D.Head), b.Float64(D.Drop));
        for (int i = 0; i < b.RowCount; i++)
            if (head[i] < 0 || layer[i] < 0)
                throw PeTools.Core.Errors.InputError.AtRow(t.Path, i + 1, head[i] < 0 ? D.Head : D.Layer, "a 0-based index",
                    Math.Min(head[i], layer[i]).ToString(CultureInfo.InvariantCulture));
        var cells = Enumerable.Range(0, b.RowCount).GroupBy(i => (step[i], layer[i])).ToList();
        var complete = cells.Select(g => g.Key.Item2).Distinct().ToHashSet();
        foreach (var s in cells.Select(g => g.Key.Item1).Distinct())
            foreach (var l in complete)
                if (!cells.Any(g => g.Key == (s, l)))
                    throw new PeTools.Core.Errors.InputError(t.Path, "rows", $"every layer at every step", $"no rows for step {s}, layer {l}");
        return Enumerable.Range(0, b.RowCount).GroupBy(i => (step[i], layer[i]))
            .ToDictionary(g => g.Key, g =>
            {
                var x = new double[g.Max(i => head[i]) + 1];
                Array.Fill(x, double.NaN);
                foreach (var i in g) x[head[i]] = drop[i];
                return x;
            });
    }

    private static double[] Drops(Dictionary<(long Step, int Layer), double[]> d, long step, int layer) =>
        d.TryGetValue((step, layer), out var x) ? x : [];
}
