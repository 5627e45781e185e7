using System.Globalization;
using PeTools.Core.Spectral;
using PeTools.Core.Tables;
using PeTools.Report.Figures;
using PeTools.Report.Output;
using PeTools.Report.Results;
using ScottPlot;
using S = PeTools.Core.Tables.Schemas.SpectrumColumns;

namespace PeTools.Report.Sections;

/// <summary>
/// Eigenvalue spectra of the logit (Hermitian part) under each PE on the same random content (pe-spectrum theory),
/// additive against multiplicative coupling (paper v1 Fig. 1, claim C19), with the bounds beside the measured extremes.
/// </summary>
public sealed class SpectraSection : IReportSection
{
    public string Title => "Logit spectra: additive vs multiplicative coupling";
    public IReadOnlyList<string> Kinds => [Schemas.Spectrum.Kind];

    private const string Logit = "logit", Content = "content", Eigenvalue = "eigenvalue", Spread = "spread";

    public SectionContent? Build(ReportData data)
    {
        var rows = data.Inputs.OfKind(Schemas.Spectrum).SelectMany(t => Enumerable.Range(0, t.Rows.RowCount).Select(i => new Row(t.Rows, i))).ToList();
        var figures = new List<Figure>();
        var md = new List<string>();
        foreach (var g in rows.GroupBy(r => (r.N, r.DHead, r.DModel, r.Seed)).OrderBy(g => g.Key))
        {
            var pes = Variants.Order(g.Select(r => r.Pe));
            var plot = ReportStyle.New($"n={g.Key.N}, d_head={g.Key.DHead}: logit eigenvalues", "index (ascending)", "eigenvalue / spread of the content logit");
            var table = new MarkdownTable("PE", "coupling", "λ_min", "λ_max", "spread", "spread / content spread", "bounds (λ_min ≥, λ_max ≤)");
            foreach (var (pe, k) in pes.Select((p, k) => (p, k)))
            {
                var mine = g.Where(r => r.Pe == pe).ToList();
                double contentSpread = Scalar(mine, Content, Spread);
                var eig = mine.Where(r => r.Matrix == Logit && r.Quantity == Eigenvalue).OrderBy(r => r.Index).Select(r => r.Value).ToArray();
                var coupling = TheoryEncodings.Find(pe)?.Coupling.ToString().ToLowerInvariant() ?? "?";
                if (eig.Length > 0 && contentSpread > 0)
                {
                    var line = plot.Add.ScatterLine(Enumerable.Range(0, eig.Length).Select(i => (double)i).ToArray(),
                        eig.Select(e => e / contentSpread).ToArray(), ReportStyle.ColorAt(k));
                    line.LineWidth = 2;
                    line.LinePattern = coupling == "additive" ? LinePattern.Dashed : LinePattern.Solid;
                    line.LegendText = $"{pe} ({coupling})";
                }
                var bounds = mine.Where(r => r.Matrix == Logit && r.Bound != "none" && (r.Quantity is "lambda_min" or "lambda_max"))
                    .Select(r => $"{r.Bound}: {r.Quantity[7..]} {Summary.Num(r.BoundValue)}").Distinct();
                double spread = Scalar(mine, Logit, Spread);
                table.Add($"`{pe}`", coupling, Summary.Num(MinOf(mine, "lambda_min")), Summary.Num(MaxOf(mine, "lambda_max")),
                    Summary.Num(spread), Summary.Num(spread / contentSpread), string.Join("; ", bounds));
            }
            ReportStyle.LegendOutside(plot);
            var figure = new Figure(Names.File("spectrum", $"n{g.Key.N}", $"d{g.Key.DHead}", $"seed{g.Key.Seed}"),
                $"Eigenvalues of the logit's Hermitian part per PE on one random content draw (n={g.Key.N}, d_head={g.Key.DHead}, " +
                $"d_model={g.Key.DModel}, seed {g.Key.Seed}), scaled by the spread of the content-only logit; dashed = additive coupling",
                plot, 1000, 460);
            figures.Add(figure);
            md.Add($"![{figure.Caption}]({figure.PngPath})\n\n*{figure.Caption}.*\n\n{table}");
        }
        return figures.Count == 0 ? null : new SectionContent(string.Join("\n\n", md), figures);
    }

    private static double Scalar(List<Row> rows, string matrix, string quantity) =>
        rows.Where(r => r.Matrix == matrix && r.Quantity == quantity).Select(r => r.Value).DefaultIfEmpty(double.NaN).First();

    private static double MinOf(List<Row> rows, string quantity) =>
        rows.Where(r => r.Matrix == Logit && r.Quantity == quantity).Select(r => r.Value).DefaultIfEmpty(double.NaN).Min();

    private static double MaxOf(List<Row> rows, string quantity) =>
        rows.Where(r => r.Matrix == Logit && r.Quantity == quantity).Select(r => r.Value).DefaultIfEmpty(double.NaN).Max();

    private sealed record Row(string Pe, int N, int DHead, int DModel, long Seed, string Matrix, string Quantity, int Index, double Value,
        string Bound, double BoundValue)
    {
        public Row(TableBatch b, int i) : this(b.String(S.Pe)[i], b.Int32(S.N)[i], b.Int32(S.DHead)[i], b.Int32(S.DModel)[i],
            b.Int64(S.Seed)[i], b.String(S.Matrix)[i], b.String(S.Quantity)[i], b.Int32(S.Index)[i], b.Float64(S.Value)[i],
            b.String(S.Bound)[i], b.Float64(S.BoundValue)[i])
        { }
    }
}
