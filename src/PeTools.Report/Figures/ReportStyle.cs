using ScottPlot;

namespace PeTools.Report.Figures;

/// <summary>
/// The look every figure shares: a sans font that exists on the machine, one colour per PE variant (the same in every
/// figure), mean lines with a min–max band over seeds, and a legend outside the data.
/// </summary>
public static class ReportStyle
{
    private static readonly string[] SansFonts = ["DejaVu Sans", "Liberation Sans", "Lato", "Noto Sans", "Arial"];
    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();
    private static readonly Lazy<string?> Font = new(() => SansFonts.FirstOrDefault(f => SkiaSharp.SKFontManager.Default.MatchFamily(f) is not null));

    /// <summary>The colour of the i-th variant in the report's variant order.</summary>
    public static Color ColorAt(int index) => Palette.GetColor(index % Palette.Colors.Length);

    /// <summary>Solid for the first ten variants, dashed for the next ten (the palette repeats).</summary>
    public static LinePattern PatternAt(int index) => index / Palette.Colors.Length % 2 == 0 ? LinePattern.Solid : LinePattern.Dashed;

    /// <summary>Uses the first sans font installed (ScottPlot's own default on Linux is a serif).</summary>
    public static void ApplyFont(Plot plot)
    {
        if (Font.Value is { } name) plot.Font.Set(name);
    }

    /// <summary>A new plot with a title and axis labels.</summary>
    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    /// <summary>A mean line (with markers when there are few points) and, with several seeds, a shaded band.</summary>
    public static void MeanWithBand(Plot plot, double[] xs, double[] mean, double[]? low, double[]? high, int colorIndex, string label)
    {
        var color = ColorAt(colorIndex);
        if (low is not null && high is not null && xs.Length > 1)
        {
            var band = plot.Add.FillY(xs, low, high);
            band.FillColor = color.WithAlpha(0.18);
            band.LineWidth = 0;
        }
        var line = plot.Add.ScatterLine(xs, mean, color);
        line.LineWidth = 2;
        line.LinePattern = PatternAt(colorIndex);
        line.MarkerSize = xs.Length <= 30 ? 5 : 0;
        line.LegendText = label;
    }

    /// <summary>The legend to the right of the data, so it never hides a curve.</summary>
    public static void LegendOutside(Plot plot)
    {
        plot.ShowLegend(Edge.Right);
    }

    /// <summary>Integer ticks 0..n−1 on the bottom axis (layers, heads).</summary>
    public static void IntegerTicksX(Plot plot, int n, int every = 1)
    {
        var ticks = Enumerable.Range(0, n).Where(i => i % every == 0).Select(i => new Tick(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
    }

    public static void IntegerTicksY(Plot plot, int n, int every = 1)
    {
        var ticks = Enumerable.Range(0, n).Where(i => i % every == 0).Select(i => new Tick(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
    }

    /// <summary>Text ticks at 0..n−1 on the bottom axis (PE names).</summary>
    public static void LabelTicksX(Plot plot, IReadOnlyList<string> labels)
    {
        var ticks = labels.Select((l, i) => new Tick(i, l)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
    }

    /// <summary>A dashed horizontal reference line (e.g. an unablated baseline) with a legend entry.</summary>
    public static void Reference(Plot plot, double y, string label)
    {
        var line = plot.Add.HorizontalLine(y, 1.5f, Colors.Black, LinePattern.Dashed);
        line.LegendText = label;
    }
}
