using System.Text;
using PeTools.Core.Tables;

namespace PeTools.Report.Output;

/// <summary>
/// Writes a built report into its folder: figures/*.png and *.svg, report.md, then report.html, each through
/// <see cref="AtomicFile"/> (temp + rename), so a reader never sees a half-written file and report.html never points
/// at a figure that is not there yet. Figures of an earlier report that this one no longer has are removed last.
/// </summary>
public static class ReportWriter
{
    public const string MarkdownFile = "report.md";
    public const string HtmlFile = "report.html";
    public const string FiguresDir = "figures";

    public static void Write(string folder, BuiltReport report)
    {
        var figures = Path.Combine(folder, FiguresDir);
        Directory.CreateDirectory(figures);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in report.Figures)
        {
            WriteBytes(Path.Combine(folder, f.PngPath), f.Png);
            WriteBytes(Path.Combine(folder, f.SvgPath), Encoding.UTF8.GetBytes(f.Svg));
            written.Add(Path.GetFileName(f.PngPath));
            written.Add(Path.GetFileName(f.SvgPath));
        }
        WriteBytes(Path.Combine(folder, MarkdownFile), Encoding.UTF8.GetBytes(report.Markdown));
        WriteBytes(Path.Combine(folder, HtmlFile), Encoding.UTF8.GetBytes(report.Html));
        foreach (var stale in Directory.EnumerateFiles(figures).Where(p => p.EndsWith(".png", StringComparison.Ordinal) || p.EndsWith(".svg", StringComparison.Ordinal)))
            if (!written.Contains(Path.GetFileName(stale))) File.Delete(stale);
    }

    private static void WriteBytes(string path, byte[] bytes)
    {
        using var file = new AtomicFile(path);
        file.Stream.Write(bytes);
        file.Commit();
    }
}
