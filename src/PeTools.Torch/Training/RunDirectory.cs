using System.Text.Json;
using System.Text.Json.Serialization;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Model;

namespace PeTools.Torch.Training;

/// <summary>
/// The resolved configuration of a run, saved as <c>config.json</c> in the run directory (and beside every
/// checkpoint), so a run can be reloaded, resumed and reported without the command line that made it.
/// </summary>
public sealed record RunConfig(TransformerConfig Model, TrainConfig Train, string Data)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunConfig FromJson(string json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<RunConfig>(json, Json)
                   ?? throw new InputError(path, "file", "a pe-train run config", "null");
        }
        catch (JsonException e)
        {
            throw new InputError(path, e.Path ?? "file", "a pe-train run config", e.Message.Split('\n')[0]);
        }
    }

    /// <summary>True when resuming a run saved with <paramref name="saved"/> is the same experiment as this one.</summary>
    /// Compared as JSON: records holding lists (PeLayers) compare those by reference.
    public bool SameExperimentAs(RunConfig saved) =>
        (this with { Train = Train with { MaxEpochsThisRun = 0 } }).ToJson() ==
        (saved with { Train = saved.Train with { MaxEpochsThisRun = 0 } }).ToJson();
}

/// <summary>
/// The files of one run: <c>config.json</c>, <c>model.safetensors</c> (final weights), <c>metrics.parquet</c>,
/// <c>checkpoint/</c> (the resume point: model, optimizer, state) and <c>snapshots/step-NNNNNNNN/</c>
/// (weights every --save-every steps, for training-dynamics analysis).
/// </summary>
public sealed class RunDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string ConfigPath => Path.Combine(Root, "config.json");
    public string ModelPath => Path.Combine(Root, "model.safetensors");
    public string CheckpointDir => Path.Combine(Root, "checkpoint");
    public string SnapshotsDir => Path.Combine(Root, "snapshots");

    public string SnapshotDir(long step) => Path.Combine(SnapshotsDir, $"step-{step:D8}");

    public void WriteConfig(RunConfig config) => WriteText(ConfigPath, config.ToJson());

    public RunConfig ReadConfig()
    {
        if (!File.Exists(ConfigPath))
            throw new InputError(Root, "run directory", "a pe-train run (config.json)", "no config.json");
        return RunConfig.FromJson(File.ReadAllText(ConfigPath), ConfigPath);
    }

    /// <summary>Snapshot steps saved so far, ascending.</summary>
    public IReadOnlyList<long> SnapshotSteps() => !Directory.Exists(SnapshotsDir)
        ? []
        : Directory.GetDirectories(SnapshotsDir, "step-*")
            .Select(d => long.TryParse(Path.GetFileName(d)[5..], out var s) ? s : -1)
            .Where(s => s >= 0).Order().ToList();

    public static void WriteText(string path, string text)
    {
        using var f = new AtomicFile(path);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        f.Stream.Write(bytes);
        f.Commit();
    }
}
