using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;

namespace PeTools.Report.Inputs;

/// <summary>
/// Finds the run a table belongs to, trying in turn: (1) the Parquet metadata <c>pe_tools.run_config</c> that pe-train
/// and pe-heads write (the run's config.json), (2) a <c>config.json</c> in the table's folder (a pe-train run
/// directory, for CSV tables), (3) a file or folder name <c>TASK-PE[-mha|-mla][-kK]-sSEED</c> (examples/gpu/grid.sh
/// and pe-train sweep name runs so). The task comes from the dataset's own metadata when the file is there, else from
/// the data file's name.
/// </summary>
public sealed partial class RunResolver
{
    /// <summary>The Parquet metadata key holding a run's config.json (pe-train, pe-heads).</summary>
    public const string RunConfigKey = "pe_tools.run_config";
    public const string ConfigFile = "config.json";

    // The keys of pe-train's config.json (PeTools.Torch.Training.RunConfig, snake_case) that pe-report reads.
    private const string ModelKey = "model", TrainKey = "train", DataKey = "data", PeKey = "pe", AttentionKey = "attention",
        ArchKey = "arch", CausalKey = "causal", PeOptionsKey = "pe_options", RopeHeadsKey = "rope_heads", PeLayersKey = "pe_layers",
        LayersKey = "layers", HeadsKey = "heads", SeedKey = "seed";

    private static readonly TableSchema AnyTable = new("any", "", []);
    private readonly Dictionary<string, string> _taskOfData = new(StringComparer.Ordinal);

    [GeneratedRegex(@"^(?<task>[A-Za-z0-9_]+)-(?<pe>.+?)(?:-(?<att>mha|mla))?(?:-k(?<k>\d+))?-s(?<seed>\d+)(?:-[0-9a-f]{6,})?$")]
    private static partial Regex RunName();

    /// <summary>The run of the table at <paramref name="path"/> (with its metadata), or null when nothing names one.</summary>
    public RunInfo? Resolve(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(RunConfigKey, out var json))
            return FromConfig(json, path, Path.GetDirectoryName(Path.GetFullPath(path))!, "table metadata");
        if (path == TableFormats.StdStream) return null;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var config = Path.Combine(dir, ConfigFile);
        if (File.Exists(config)) return FromConfig(File.ReadAllText(config), config, dir, ConfigFile);
        var stem = Path.GetFileName(path).Split('.')[0];
        return FromName(stem) ?? FromName(Path.GetFileName(dir));
    }

    /// <summary>Reads the identity out of a pe-train config.json; a malformed one is an <see cref="InputError"/>.</summary>
    public RunInfo FromConfig(string json, string where, string baseDir, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var model = Get(root, ModelKey, where);
            var train = Get(root, TrainKey, where);
            var options = model.TryGetProperty(PeOptionsKey, out var o) ? o : default;
            int? ropeHeads = options.ValueKind == JsonValueKind.Object && options.TryGetProperty(RopeHeadsKey, out var k) &&
                             k.ValueKind == JsonValueKind.Number ? k.GetInt32() : null;
            string? peLayers = model.TryGetProperty(PeLayersKey, out var pl) && pl.ValueKind == JsonValueKind.Array
                ? string.Join(',', pl.EnumerateArray().Select(e => e.GetInt32().ToString(CultureInfo.InvariantCulture)))
                : null;
            return new RunInfo(
                Task: TaskOf(Get(root, DataKey, where).GetString() ?? "", baseDir),
                Pe: Get(model, PeKey, where).GetString() ?? "",
                Attention: model.TryGetProperty(AttentionKey, out var a) ? a.GetString() ?? RunInfo.DefaultAttention : RunInfo.DefaultAttention,
                RopeHeads: ropeHeads,
                Arch: model.TryGetProperty(ArchKey, out var ar) ? ar.GetString() ?? RunInfo.DefaultArch : RunInfo.DefaultArch,
                Causal: model.TryGetProperty(CausalKey, out var c) && c.ValueKind == JsonValueKind.True,
                PeLayers: peLayers,
                Seed: Get(train, SeedKey, where).GetInt64(),
                Layers: model.TryGetProperty(LayersKey, out var l) ? l.GetInt32() : null,
                Heads: model.TryGetProperty(HeadsKey, out var h) ? h.GetInt32() : null,
                Source: source);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InputError(where, "run config", "a pe-train config.json", e.Message.Split('\n')[0]);
        }
    }

    /// <summary>TASK-PE[-mha|-mla][-kK]-sSEED, TASK a known task key; null otherwise.</summary>
    public static RunInfo? FromName(string name)
    {
        var m = RunName().Match(name);
        if (!m.Success || Tasks.All.All(t => t.Key != m.Groups["task"].Value)) return null;
        return new RunInfo(m.Groups["task"].Value, m.Groups["pe"].Value,
            m.Groups["att"].Success ? m.Groups["att"].Value : RunInfo.DefaultAttention,
            m.Groups["k"].Success ? int.Parse(m.Groups["k"].Value, CultureInfo.InvariantCulture) : null,
            RunInfo.DefaultArch, false, null, long.Parse(m.Groups["seed"].Value, CultureInfo.InvariantCulture), null, null, "file name");
    }

    /// <summary>The task of a dataset: its <c>pe_tools.task</c> metadata when the file is found, else a task key its name starts with, else its name.</summary>
    private string TaskOf(string data, string baseDir)
    {
        if (_taskOfData.TryGetValue(data, out var known)) return known;
        string? task = null;
        foreach (var candidate in new[] { data, Path.Combine(baseDir, data) }.Distinct())
        {
            if (task is not null || !File.Exists(candidate)) continue;
            try
            {
                using var reader = TableReader.Open(candidate, AnyTable);
                if (reader.Metadata.TryGetValue(SyntheticTask.TaskKey, out var t)) task = t;
            }
            catch (PeToolsError) { } // not a readable table: fall back on the name
        }
        var stem = Path.GetFileName(data).Split('.')[0];
        task ??= Tasks.All.Select(t => t.Key).FirstOrDefault(k => stem == k || stem.StartsWith(k + "-", StringComparison.Ordinal) ||
                                                                  stem.StartsWith(k + "_", StringComparison.Ordinal)) ?? stem;
        return _taskOfData[data] = task;
    }

    private static JsonElement Get(JsonElement parent, string key, string where) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(key, out var v)
            ? v
            : throw new InputError(where, "run config", $"a key '{key}'", "none");
}
