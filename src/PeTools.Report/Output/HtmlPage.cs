using System.Net;
using Markdig;

namespace PeTools.Report.Output;

/// <summary>
/// report.html: the report's Markdown rendered by Markdig (pipe tables) inside one self-contained page: figures as
/// PNG data URIs, the style inline, no script, nothing fetched from the network.
/// </summary>
public static class HtmlPage
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseAutoIdentifiers().Build();

    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #222; background: #fff; }
        main { max-width: 1320px; margin: 0 auto; padding: 1.5rem 2rem 4rem; line-height: 1.45; }
        h1 { border-bottom: 2px solid #444; padding-bottom: .3rem; }
        h2 { margin-top: 2.5rem; border-bottom: 1px solid #bbb; padding-bottom: .2rem; }
        table { border-collapse: collapse; margin: 1rem 0; font-size: .88rem; }
        th, td { border: 1px solid #ccc; padding: .3rem .5rem; vertical-align: top; text-align: left; }
        th { background: #f0f0f0; }
        tr:nth-child(even) td { background: #fafafa; }
        img { max-width: 100%; height: auto; display: block; margin: 1rem 0 .3rem; border: 1px solid #eee; }
        p:has(> img:only-child) { display: inline-block; vertical-align: top; margin: 0 1rem 0 0; max-width: 100%; }
        code { background: #f4f4f4; padding: 0 .2rem; border-radius: 3px; }
        em { color: #555; }
        """;

    /// <summary>The page for <paramref name="markdown"/>, with every <c>figures/NAME.png</c> link replaced by its PNG bytes.</summary>
    public static string Render(string title, string markdown, IReadOnlyDictionary<string, byte[]> pngByPath)
    {
        foreach (var (path, png) in pngByPath)
            markdown = markdown.Replace($"]({path})", $"](data:image/png;base64,{Convert.ToBase64String(png)})", StringComparison.Ordinal);
        var body = Markdown.ToHtml(markdown, Pipeline);
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{WebUtility.HtmlEncode(title)}</title>
            <style>
            {Style}
            </style>
            </head>
            <body>
            <main>
            {body}
            </main>
            </body>
            </html>

            """;
    }
}
