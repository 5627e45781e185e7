namespace PeTools.Report.Tests;

/// <summary>A temporary folder of files for tests that read from disk; removed on dispose.</summary>
public sealed class Scratch : IDisposable
{
    public Scratch() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "pe-report-tests", Guid.NewGuid().ToString("N"));

    public string this[string relative] => Path.Combine(Dir, relative);

    public string Write(string relative, string text)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A metrics CSV with one train and one test row per accuracy.</summary>
    public static string MetricsCsv(params double[] test) =>
        "step,epoch,split,loss,accuracy,lr,tokens_per_s\n" + string.Concat(test.Select((a, i) =>
            FormattableString.Invariant($"{(i + 1) * 10},{i + 1},train,1,{a},0.001,100\n{(i + 1) * 10},{i + 1},test,1,{a},0.001,0\n")));

    /// <summary>The parts of a pe-train config.json pe-report reads.</summary>
    public static string ConfigJson(string pe, long seed, string data = "distance.parquet", string attention = "mha", int? ropeHeads = null) =>
        $$"""
        {"model": {"pe": "{{pe}}", "attention": "{{attention}}", "arch": "reference", "causal": false, "layers": 2, "heads": 4,
                   "pe_options": {"rope_heads": {{(ropeHeads?.ToString() ?? "null")}}}, "pe_layers": null},
         "train": {"seed": {{seed}}, "epochs": 2}, "data": "{{data}}"}
        """;

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }
}
