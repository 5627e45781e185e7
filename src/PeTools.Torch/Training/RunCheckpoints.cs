using System.Globalization;
using System.Text.Json;
using PeTools.Core.Errors;
using PeTools.Core.Logging;

namespace PeTools.Torch.Training;

/// <summary>One set of weights a run holds: a snapshot (<c>pe-train --save-every</c>), or its latest weights.</summary>
/// <param name="Step">optimizer steps taken; −1 when unknown (a final model without checkpoint/state.json)</param>
/// <param name="Snapshot">the snapshot step to load, or null for the latest weights (what <see cref="RunLoader.Load"/> loads without one)</param>
public sealed record RunWeights(long Step, long? Snapshot)
{
    public string Describe() => Snapshot is null ? $"step {Step} (latest)" : $"step {Step} (snapshot)";
}

/// <summary>
/// The weights of a run, by step: every snapshot under <c>snapshots/step-NNNNNNNN/</c> and the latest weights, which are
/// the final <c>model.safetensors</c> or, for a run still training, the resume checkpoint; their step is read from
/// <c>checkpoint/state.json</c>, and a snapshot at that same step holds the same weights, so it is not listed twice.
/// </summary>
public static class RunCheckpoints
{
    public const string Latest = "latest";
    public const string All = "all";

    /// <summary>The state of the newest checkpoint (steps and epochs done), or null when the run has none.</summary>
    public static TrainerState? LatestState(RunDirectory run) =>
        Checkpoint.Latest(run) is { } dir
            ? JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, "state.json")), RunConfig.Json)
            : null;

    /// <summary>
    /// Every snapshot and the latest weights, ascending by step. <paramref name="withTrainingCheckpoint"/>: also the
    /// resume checkpoint of a run still training (no final model). Latest weights of unknown step are left out, with
    /// a warning. An <see cref="InputError"/> when nothing is left.
    /// </summary>
    public static List<RunWeights> List(RunDirectory run, IRunLog log, bool withTrainingCheckpoint = true)
    {
        var weights = run.SnapshotSteps().Select(s => new RunWeights(s, s)).ToList();
        bool hasLatest = File.Exists(run.ModelPath) || (withTrainingCheckpoint && Checkpoint.Latest(run) is not null);
        if (hasLatest && LatestState(run) is { } state)
        {
            weights.RemoveAll(w => w.Step == state.Step);
            weights.Add(new RunWeights(state.Step, null));
        }
        else if (hasLatest)
        {
            log.Warn($"{run.Root}: no checkpoint/state.json, so the final model's step is unknown; it is left out");
        }
        if (weights.Count == 0)
            throw new InputError(run.Root, "run directory", "weight snapshots (pe-train --save-every N) or a final model", "neither");
        return weights.OrderBy(w => w.Step).ToList();
    }

    /// <summary>
    /// The weights named by a <c>--checkpoints</c> value: <see cref="Latest"/> (what <see cref="RunLoader.Load"/> loads:
    /// the final model, else the resume checkpoint, else the newest snapshot), <see cref="All"/>, or steps
    /// <c>STEP,STEP</c>, each one of <see cref="List"/>'s.
    /// </summary>
    public static List<RunWeights> Select(RunDirectory run, string text, IRunLog log, string option = "--checkpoints")
    {
        if (text == Latest)
        {
            if (File.Exists(run.ModelPath) || Checkpoint.Latest(run) is not null)
                return [new RunWeights(LatestState(run)?.Step ?? -1, null)];
            var snapshots = run.SnapshotSteps();
            return snapshots.Count > 0
                ? [new RunWeights(snapshots[^1], snapshots[^1])]
                : throw new InputError(run.Root, "run directory", "model.safetensors, a checkpoint or snapshots", "none of them");
        }
        var all = List(run, log);
        if (text == All) return all;
        var chosen = new List<RunWeights>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
                throw UsageError.Option(option, $"{Latest}, {All} or steps like 500,1000", text);
            var found = all.FirstOrDefault(w => w.Step == step)
                ?? throw UsageError.Option(option, $"steps the run holds ({string.Join(",", all.Select(w => w.Step).Take(12))}{(all.Count > 12 ? ",…" : "")})", part);
            if (!chosen.Contains(found)) chosen.Add(found);
        }
        return chosen.Count > 0 ? chosen.OrderBy(w => w.Step).ToList() : throw UsageError.Option(option, $"{Latest}, {All} or steps like 500,1000", text);
    }

    /// <summary>Epochs done after <paramref name="step"/> steps (fractional between epochs); NaN when the run has no checkpoint to say.</summary>
    public static double Epoch(RunDirectory run, long step) =>
        step >= 0 && LatestState(run) is { EpochsDone: > 0, Step: > 0 } s ? (double)step * s.EpochsDone / s.Step : double.NaN;
}
