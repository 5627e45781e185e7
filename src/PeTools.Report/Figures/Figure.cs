using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;
using SkiaSharp;

namespace PeTools.Report.Figures;

/// <summary>
/// One figure of the report: a ScottPlot plot, or several side by side, with a file name (without extension) and a
/// caption. Rendered once to PNG (for report.md and, as a data URI, report.html) and once to SVG.
/// </summary>
public sealed partial class Figure
{
    public Figure(string name, string caption, IReadOnlyList<Plot> panels, int width, int height)
    {
        if (panels.Count == 0) throw new ArgumentException("a figure needs at least one panel", nameof(panels));
        Name = name;
        Caption = caption;
        Panels = panels;
        Width = width;
        Height = height;
    }

    public Figure(string name, string caption, Plot plot, int width = 760, int height = 440)
        : this(name, caption, [plot], width, height) { }

    /// <summary>The file name without extension: figures/NAME.png and figures/NAME.svg.</summary>
    public string Name { get; }
    public string Caption { get; }
    public IReadOnlyList<Plot> Panels { get; }
    public int Width { get; }
    public int Height { get; }

    public string PngPath => $"figures/{Name}.png";
    public string SvgPath => $"figures/{Name}.svg";

    /// <summary>The PNG bytes and the SVG text of the figure.</summary>
    public (byte[] Png, string Svg) Render()
    {
        foreach (var p in Panels) ReportStyle.ApplyFont(p);
        if (Panels.Count == 1)
            return (Panels[0].GetImageBytes(Width, Height, ImageFormat.Png), NumberIds(Panels[0].GetSvgXml(Width, Height)));

        var multiplot = Multiplot();
        using var image = multiplot.Render(Width, Height);
        var png = image.GetImageBytes(ImageFormat.Png, 100);
        using var svg = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), svg))
            multiplot.Render(canvas, new PixelRect(new PixelSize(Width, Height)));
        return (png, NumberIds(System.Text.Encoding.UTF8.GetString(svg.ToArray())));
    }

    [GeneratedRegex(@"\bcl_([0-9a-f]+)\b")]
    private static partial Regex ClipId();

    /// <summary>
    /// Skia numbers SVG clip paths with a counter that lives as long as the process, so the same figure drawn twice
    /// in one process would differ; renumbering them by first appearance makes the SVG depend on the figure alone.
    /// </summary>
    public static string NumberIds(string svg)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        return ClipId().Replace(svg, m =>
        {
            if (!map.TryGetValue(m.Groups[1].Value, out var n)) map[m.Groups[1].Value] = n = map.Count.ToString(CultureInfo.InvariantCulture);
            return "cl_" + n;
        });
    }

    private Multiplot Multiplot()
    {
        var m = new Multiplot(Panels[0]);
        foreach (var p in Panels.Skip(1)) m.AddPlot(p);
        m.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return m;
    }
}
