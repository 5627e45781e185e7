using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PeTools.EndToEnd.Tests;

/// <summary>What Chromium saw on a page: how many images, which did not decode, which errors were raised.</summary>
public sealed record PageCheck(int Images, IReadOnlyList<string> Broken, IReadOnlyList<string> Errors);

/// <summary>
/// Opens an HTML file in headless Chromium (Debian's /usr/bin/chromium; `.ci/run` installs it) and reports, after the
/// load event, every &lt;img&gt; that did not decode (naturalWidth 0) and every error event or console.error. The page is
/// a copy with a small probe script injected at the top of &lt;head&gt;, which writes its findings into the DOM that
/// <c>--dump-dom</c> prints; the report itself carries no script.
/// </summary>
public static partial class HeadlessChromium
{
    public const string Binary = "/usr/bin/chromium";

    private const string Probe = """
        <script>
        window.__peErrors = [];
        window.addEventListener('error', e => window.__peErrors.push('error: ' + (e.message || (e.target && e.target.tagName) || 'resource')), true);
        window.addEventListener('unhandledrejection', e => window.__peErrors.push('rejection: ' + e.reason));
        const peConsoleError = console.error;
        console.error = (...a) => { window.__peErrors.push('console.error: ' + a.join(' ')); peConsoleError.apply(console, a); };
        window.addEventListener('load', () => {
          const images = Array.from(document.images);
          const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
          const out = document.createElement('pre');
          out.id = 'pe-check';
          out.textContent = JSON.stringify({ images: images.length, broken: broken, errors: window.__peErrors });
          document.body.appendChild(out);
        });
        </script>
        """;

    [GeneratedRegex("<pre id=\"pe-check\">(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex Result();

    public static PageCheck Check(string htmlPath)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install it with `apt-get install -y chromium` (.ci/run does)");
        var dir = Directory.CreateTempSubdirectory("pe-chromium-");
        try
        {
            var page = Path.Combine(dir.FullName, "page.html");
            File.WriteAllText(page, File.ReadAllText(htmlPath).Replace("<head>", "<head>\n" + Probe, StringComparison.Ordinal));
            var psi = new ProcessStartInfo(Binary,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir.FullName, "profile")}",
                "--virtual-time-budget=10000", "--dump-dom", new Uri(page).AbsoluteUri,
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish in 120 s");
            }
            var m = Result().Match(stdout.Result);
            Assert.True(m.Success, $"no probe result in chromium's DOM (exit {p.ExitCode}): {stderr.Result[..Math.Min(2000, stderr.Result.Length)]}");
            using var json = JsonDocument.Parse(WebUtility.HtmlDecode(m.Groups[1].Value));
            var root = json.RootElement;
            return new PageCheck(root.GetProperty("images").GetInt32(),
                root.GetProperty("broken").EnumerateArray().Select(e => e.GetString()!).ToList(),
                root.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
