using System.Globalization;
using System.Text;
using PeTools.Cli;

namespace PeTools.Spectrum.Tests;

/// <summary>Runs pe-spectrum in-process over in-memory streams and parses its CSV output.</summary>
internal sealed record SpectrumRun(int ExitCode, string Stdout, string Stderr)
{
    public static SpectrumRun Of(params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var context = new ToolContext(Program.ToolName, new MemoryStream(), stdout, stderr);
        int rc = ToolApp.Run(context, Program.BuildRoot(context), args);
        return new SpectrumRun(rc, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    /// <summary>Rows as column → text (the tables hold no quoted commas).</summary>
    public IReadOnlyList<Dictionary<string, string>> Rows()
    {
        var lines = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    public static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
