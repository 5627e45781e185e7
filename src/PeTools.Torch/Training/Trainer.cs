using System.Diagnostics;
using PeTools.Core;
using PeTools.Core.Logging;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// The training loop: AdamW + warm-up/cosine per step, per-epoch evaluation of every split, resumable checkpoints.
/// Determinism: parameters are initialised from seeds.For("init") (by the caller), the data order of epoch e is a
/// permutation drawn from seeds.For("order/e") (standard architecture with BucketWindow: then length-bucketed with
/// seeds.For("buckets/e"), <see cref="LengthBuckets"/>), and dropout is reseeded from seeds.For("dropout/e") at each
/// epoch start. Nothing in the step loop reads values back to the host (pe-train check proves it on CUDA); epoch
/// statistics are read once per epoch.
/// </summary>
public sealed class Trainer(Transformer model, RunConfig config, RunDirectory run, IReadOnlyDictionary<string, SplitTensors> data,
    Device device, IRunLog log)
{
    private readonly TrainConfig _cfg = config.Train;
    private readonly SeedSequence _seeds = new(config.Train.Seed);

    /// <summary>Called after each completed epoch with all metrics so far (the CLI streams them out).</summary>
    public Action<IReadOnlyList<MetricRow>>? EpochCompleted { get; init; }

    /// <summary>
    /// Called with the step count after every optimizer step, and with 0 before the first step of a fresh run (the
    /// probes' hook, <see cref="ProbeRecorder"/>). It must leave weights, gradients, optimizer and RNG as it found them.
    /// </summary>
    public Action<long>? StepCompleted { get; init; }

    /// <summary>Fast paths of each step (<see cref="TrainStep"/>); <see cref="FastPaths.None"/> trains through every oracle.</summary>
    public FastPaths Fast { get; init; } = FastPaths.Default;

    public long StepsPerEpoch => (data[DatasetTensors.TrainSplit].Count + _cfg.BatchSize - 1) / _cfg.BatchSize;

    /// <summary>Trains from the start, or from the run's checkpoint when <paramref name="resume"/> and one exists.</summary>
    public TrainerState Run(bool resume)
    {
        var train = data[DatasetTensors.TrainSplit];
        long totalSteps = StepsPerEpoch * _cfg.Epochs;
        var schedule = LrSchedule.WarmupCosine(_cfg.Lr, _cfg.WarmupFraction, totalSteps);
        using var stepper = new TrainStep(model, _cfg, device, Fast);
        using var checkpoints = new CheckpointWriter();
        var optimizer = stepper.Optimizer;

        var state = new TrainerState(0, 0, []);
        if (resume && Checkpoint.Latest(run) is { } dir)
        {
            state = Checkpoint.Load(dir, model, optimizer);
            log.Info($"resuming {run.Root} at epoch {state.EpochsDone}, step {state.Step}");
        }
        var metrics = state.Metrics.ToList();
        int epochsThisRun = 0;
        if (state.Step == 0) StepCompleted?.Invoke(0);

        for (int epoch = state.EpochsDone; epoch < _cfg.Epochs; epoch++)
        {
            if (_cfg.MaxEpochsThisRun > 0 && epochsThisRun == _cfg.MaxEpochsThisRun) break;
            var clock = Stopwatch.StartNew();
            var (rows, step) = log.WithProgress($"epoch {epoch + 1}/{_cfg.Epochs}", StepsPerEpoch,
                progress => TrainEpoch(epoch, state.Step, train, stepper, schedule, progress));
            var times = new EpochTimes(clock.Elapsed.TotalSeconds);
            metrics.AddRange(rows);
            if (epochsThisRun == 0) ReportGraphs(stepper);
            bool last = epoch == _cfg.Epochs - 1;
            if ((epoch + 1) % _cfg.EvalEveryEpochs == 0 || last)
            {
                clock.Restart();
                metrics.AddRange(EvaluateSplits(stepper, step, epoch + 1, rows[^1].Lr));
                times = times with { Evaluate = clock.Elapsed.TotalSeconds };
            }
            state = new TrainerState(epoch + 1, step, metrics.ToList());
            clock.Restart();
            // The last epoch of a chunk (--stop-after-epochs) saves too, so a chunked run resumes where it stopped.
            bool chunkEnds = _cfg.MaxEpochsThisRun > 0 && epochsThisRun + 1 == _cfg.MaxEpochsThisRun;
            if ((epoch + 1) % _cfg.CheckpointEveryEpochs == 0 || last || chunkEnds)
                checkpoints.Save(run, config, model, optimizer, state);
            EpochCompleted?.Invoke(metrics);
            times = times with { Save = clock.Elapsed.TotalSeconds };
            log.Info(Summary(metrics, epoch + 1) + "  " + times);
            epochsThisRun++;
        }
        checkpoints.Wait();
        if (state.EpochsDone == _cfg.Epochs)
            SafeTensors.Save(run.ModelPath, model.state_dict(), new Dictionary<string, string> { ["config"] = config.ToJson() });
        return state;
    }

    private (List<MetricRow> Rows, long Step) TrainEpoch(int epoch, long step, SplitTensors train, TrainStep stepper,
        LrSchedule schedule, IProgressReport progress)
    {
        model.train();
        stepper.Compute.train(); // the bf16 copy computes in mixed precision, the fp32 model otherwise
        random.manual_seed(_seeds.For($"dropout/{epoch}"));
        if (device.type == DeviceType.CUDA) cuda.manual_seed_all(_seeds.For($"dropout/{epoch}"));
        var order = Permutation(train.Count, _seeds.Random($"order/{epoch}"));
        int[]? batchLengths = null;
        if (_cfg.BucketWindow > 0 && model.Config.Arch == Architecture.Standard)
            (order, batchLengths) = LengthBuckets.Arrange(order, train.Lengths, _cfg.BatchSize, _cfg.BucketWindow,
                _seeds.Random($"buckets/{epoch}"));
        using var orderTensor = tensor(order, dtype: ScalarType.Int64).to(device);

        using var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        using var correct = zeros(1, dtype: ScalarType.Int64, device: device);
        using var count = zeros(1, dtype: ScalarType.Int64, device: device);
        var clock = Stopwatch.StartNew();
        double lr = 0;
        for (long b = 0; b < StepsPerEpoch; b++)
        {
            using var scope = NewDisposeScope();
            long start = b * _cfg.BatchSize, n = Math.Min(_cfg.BatchSize, train.Count - start);
            var idx = orderTensor.narrow(0, start, n);
            var x = train.Tokens.index_select(0, idx);  // (B, T)
            if (batchLengths is not null) x = x.narrow(1, 0, batchLengths[b]); // (B, T_b): only trailing padding goes
            var y = train.Targets.index_select(0, idx); // (B)
            lr = schedule.At(step);
            var logits = stepper.Run(x, y, lr); // (B, C) fp32, detached
            step++;
            if (_cfg.SaveEverySteps > 0 && step % _cfg.SaveEverySteps == 0) SaveSnapshot(step);
            StepCompleted?.Invoke(step);
            using (no_grad())
            {
                var (l, c, k) = Evaluator.BatchStats(logits, y, _cfg.IgnoreClass);
                lossSum.add_(l);
                correct.add_(c);
                count.add_(k);
            }
            progress.Report(b + 1);
        }
        long counted = count.item<long>(); // the epoch's one host sync
        double seconds = clock.Elapsed.TotalSeconds;
        // Every row counts at the split's padded length, bucketed or not, so runs compare as rows per second.
        double tokensPerSecond = StepsPerEpoch * (double)_cfg.BatchSize * train.Length / Math.Max(seconds, 1e-9);
        var row = new MetricRow(step, epoch + 1, DatasetTensors.TrainSplit, lossSum.item<double>() / Math.Max(1, counted),
            (double)correct.item<long>() / Math.Max(1, counted), lr, tokensPerSecond);
        return ([row], step);
    }

    /// <summary>After the first epoch: how many steps CUDA graphs replayed, or why they ran eagerly.</summary>
    private void ReportGraphs(TrainStep stepper)
    {
        if (stepper.GraphNote is { } why) log.Warn(why);
        else if (stepper.GraphUse is { Replays: > 0 } use)
            log.Info($"CUDA graphs: {use.Graphs} batch shape(s) captured, {use.Replays} of {StepsPerEpoch} steps replayed");
    }

    /// <summary>Weights after <paramref name="step"/> steps, for training-dynamics analysis (pe-heads dynamics).</summary>
    private void SaveSnapshot(long step)
    {
        var dir = run.SnapshotDir(step);
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), model.state_dict(),
            new Dictionary<string, string> { ["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Every split but train, in eval mode (train's row is the running train-mode average, as the paper's).</summary>
    private IEnumerable<MetricRow> EvaluateSplits(TrainStep stepper, long step, double epoch, double lr)
    {
        foreach (var (name, split) in data)
        {
            if (name == DatasetTensors.TrainSplit) continue;
            var (loss, acc) = Evaluator.Evaluate(stepper.EvaluationModel(_cfg.EvalPrecision), split,
                _cfg.EvalRows(split.Length), _cfg.IgnoreClass);
            yield return new MetricRow(step, epoch, name, loss, acc, lr, 0);
        }
    }

    /// <summary>Wall seconds of an epoch's phases: the steps (to the epoch's one host sync), evaluation, and writing
    /// checkpoint and metrics; logged per epoch so that a run shows where its time goes.</summary>
    private readonly record struct EpochTimes(double Train, double Evaluate = 0, double Save = 0)
    {
        public override string ToString() => FormattableString.Invariant($"[train {Train:F2} s, eval {Evaluate:F2} s, save {Save:F2} s]");
    }

    private static long[] Permutation(long n, Random rng)
    {
        var p = new long[n];
        for (long i = 0; i < n; i++) p[i] = i;
        for (long i = n - 1; i > 0; i--)
        {
            long j = rng.NextInt64(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static string Summary(IReadOnlyList<MetricRow> metrics, int epoch) =>
        $"epoch {epoch}: " + string.Join("  ", metrics.Where(r => Math.Abs(r.Epoch - epoch) < 1e-9)
            .Select(r => $"{r.Split} loss {r.Loss:F4} acc {r.Accuracy:F4}")) +
        (metrics.LastOrDefault(r => r.TokensPerSecond > 0) is { } t ? $"  {t.TokensPerSecond / 1e3:F1}k tok/s" : "");
}
