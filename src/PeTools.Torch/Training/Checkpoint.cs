using System.Text.Json;
using PeTools.Core.Errors;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>Where a run stands: epochs and steps completed, and every metrics row so far.</summary>
public sealed record TrainerState(int EpochsDone, long Step, IReadOnlyList<MetricRow> Metrics);

/// <summary>What a checkpoint holds, as host tensors taken at one moment (<see cref="CheckpointWriter"/> fills them with
/// a <see cref="HostMirror"/>, which owns them): <see cref="Checkpoint.Write"/> reads no device tensor.</summary>
public sealed record CheckpointSnapshot(IReadOnlyDictionary<string, Tensor> Model, IReadOnlyDictionary<string, Tensor> Optimizer,
    long StepCount, TrainerState State);

/// <summary>
/// The resumable checkpoint of a run: model weights, AdamW moments and <see cref="TrainerState"/>. Written into a
/// temporary directory that replaces the previous checkpoint by rename, so a SIGKILL at any moment leaves either the
/// old or the new checkpoint whole. RNG needs no saving: dropout is reseeded from the run seed at each epoch start
/// and the data order is a function of (seed, epoch), so resuming at an epoch boundary is bit-exact.
/// </summary>
public static class Checkpoint
{
    private const string ModelFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string StateFile = "state.json";

    /// <summary>Writes a snapshot as the run's checkpoint (temp directory, then rename); touches no device tensor.</summary>
    public static void Write(RunDirectory run, RunConfig config, CheckpointSnapshot snapshot)
    {
        var dir = run.CheckpointDir;
        var tmp = dir + ".tmp";
        var old = dir + ".old";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        SafeTensors.Save(Path.Combine(tmp, ModelFile), snapshot.Model);
        SafeTensors.Save(Path.Combine(tmp, OptimizerFile), snapshot.Optimizer,
            new Dictionary<string, string> { ["step_count"] = snapshot.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        RunDirectory.WriteText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(snapshot.State, RunConfig.Json));
        RunDirectory.WriteText(Path.Combine(tmp, "config.json"), config.ToJson());
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(tmp, dir);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>The directory of the newest whole checkpoint, or null when the run has none.</summary>
    public static string? Latest(RunDirectory run)
    {
        if (File.Exists(Path.Combine(run.CheckpointDir, StateFile))) return run.CheckpointDir;
        var old = run.CheckpointDir + ".old"; // killed between the two renames of Save
        return File.Exists(Path.Combine(old, StateFile)) ? old : null;
    }

    /// <summary>Restores model and optimizer from <paramref name="dir"/> and returns the trainer state.</summary>
    public static TrainerState Load(string dir, nn.Module model, IOptimizer optimizer)
    {
        var (weights, _) = SafeTensors.Load(Path.Combine(dir, ModelFile));
        var (moments, meta) = SafeTensors.Load(Path.Combine(dir, OptimizerFile));
        try
        {
            LoadWeights(model, weights, Path.Combine(dir, ModelFile));
            optimizer.LoadState(moments, long.Parse(meta["step_count"], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var t in weights.Values.Concat(moments.Values)) t.Dispose();
        }
        var statePath = Path.Combine(dir, StateFile);
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), RunConfig.Json)
               ?? throw new InputError(statePath, "file", "a trainer state", "null");
    }

    /// <summary>Copies tensors into the model's parameters and buffers; every key must match exactly.</summary>
    public static void LoadWeights(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string path)
    {
        var own = model.state_dict();
        foreach (var name in own.Keys)
            if (!weights.ContainsKey(name))
                throw new InputError(path, $"tensor '{name}'", "every weight of the configured model", "it missing");
        foreach (var name in weights.Keys)
            if (!own.ContainsKey(name))
                throw new InputError(path, $"tensor '{name}'", "only weights of the configured model", "an unknown tensor");
        using var _ = no_grad();
        foreach (var (name, target) in own)
        {
            var source = weights[name];
            if (!source.shape.SequenceEqual(target.shape))
                throw new InputError(path, $"tensor '{name}'", $"shape [{string.Join(",", target.shape)}]", $"[{string.Join(",", source.shape)}]");
            target.copy_(source);
        }
    }
}
