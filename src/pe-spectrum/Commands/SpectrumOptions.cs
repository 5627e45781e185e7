using System.CommandLine;
using System.Globalization;
using PeTools.Core.Errors;
using PeTools.Core.Spectral;

namespace PeTools.Spectrum.Commands;

/// <summary>Options and checks that theory and contraction share (spelled once, STYLE.md "duplicated plumbing").</summary>
internal static class SpectrumOptions
{
    public static Option<int> DModel() =>
        new("--d-model") { Description = "model width of the random content X ~ N(0,1), n × d_model (even)", DefaultValueFactory = _ => 64, HelpName = "D" };

    public static Option<double> Base() =>
        new("--base") { Description = "RoPE / sinusoidal frequency base", DefaultValueFactory = _ => PositionalMatrices.DefaultBase };

    public static Option<int> Head() =>
        new("--head") { Description = "which head's ALiBi slope (0-based)", DefaultValueFactory = _ => 0, HelpName = "H" };

    public static Option<int> Heads() =>
        new("--heads") { Description = "number of heads H for ALiBi slopes", DefaultValueFactory = _ => 16, HelpName = "H" };

    public static Option<string> Content() =>
        new("--content") { Description = "content model: random (seeded Gaussian X, W_Q, W_K)", DefaultValueFactory = _ => "random", HelpName = "random" };

    public static TheoryEncoding Pe(string key, string option = "--pe") =>
        TheoryEncodings.Find(key) ?? throw UsageError.Option(option, string.Join('|', TheoryEncodings.Keys), key);

    public static void CheckSizes(int n, int dHead, int dModel)
    {
        if (n < 2) throw UsageError.Option("--n", "an integer ≥ 2", n);
        if (dHead < 2 || dHead % 2 != 0) throw UsageError.Option("--d-head", "an even integer ≥ 2 (RoPE pairs coordinates)", dHead);
        if (dModel < 2 || dModel % 2 != 0) throw UsageError.Option("--d-model", "an even integer ≥ 2", dModel);
    }

    public static void CheckCommon(double @base, int head, int heads, string content)
    {
        if (!(@base > 1) || double.IsInfinity(@base)) throw UsageError.Option("--base", "a finite number > 1", @base);
        if (heads < 1) throw UsageError.Option("--heads", "an integer ≥ 1", heads);
        if (head < 0 || head >= heads) throw UsageError.Option("--head", $"an integer in 0…{heads - 1}", head);
        if (content != "random") throw UsageError.Option("--content", "random", content);
    }

    /// <summary>T5 bucket values: seeded N(0, 1), one per bucket (the reference code learns them; we draw them).</summary>
    public static double[] T5Buckets(Random random) =>
        ContentInstance.Gaussian(random, 1, 32, 1).Cast<double>().ToArray();

    /// <summary>Parses "32,64,128" into distinct integers ≥ <paramref name="min"/>.</summary>
    public static int[] IntList(string text, string option, int min)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw UsageError.Option(option, "a comma-separated list of integers", text);
        var values = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min)
                throw UsageError.Option(option, $"integers ≥ {min}, comma-separated", text);
            if (!values.Contains(v)) values.Add(v);
        }
        return values.ToArray();
    }

    public static string[] KeyList(string text, string option, IReadOnlyList<string> keys)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw UsageError.Option(option, string.Join('|', keys), text);
        foreach (var p in parts)
            if (!keys.Contains(p)) throw UsageError.Option(option, $"a comma-separated list of {string.Join('|', keys)}", p);
        return parts.Distinct().ToArray();
    }
}
