using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Heads;
using PeTools.Core.Logging;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>One head's zero-ablation drop at one training step.</summary>
public sealed record DynamicsDrop(long Step, int Layer, int Head, double BaselineAccuracy, double Drop);

/// <summary>One layer at one step: its top head, paper Thm 6.1's Margin_l and gain γ_l, and when the final deposit formed.</summary>
public sealed record DynamicsLayerSummary(long Step, int Layer, int TopHead, double TopDrop, double RunnerUpDrop, double Margin,
    double Gamma, bool Amplified, int FinalTopHead, long DepositStep);

/// <summary>
/// Deposit dynamics (paper §9 opportunity 5, claims C21–C23): per-head zero-ablation drops at every weight snapshot
/// of a run (<c>pe-train --save-every N</c>) and of its final model, and per (step, layer) the margin between the top
/// two heads. With γ_l measured as Margin_l / Margin_(l+1) the bound Margin_l ≥ Margin_L·Π_(k=l)^(L−1) γ_k holds with
/// equality (the product telescopes), so what the theorem adds, and what is tested here, is γ_k &gt; 1: margins that
/// grow towards shallow layers.
/// </summary>
public static class Dynamics
{
    /// <summary>
    /// The steps to evaluate, ascending, each with the snapshot to load (null = the latest weights): <see cref="RunCheckpoints.List"/>,
    /// so a run stopped early (pe-train --stop-after-epochs) ends its curve at its resume checkpoint.
    /// </summary>
    public static List<(long Step, long? Snapshot)> Steps(RunDirectory run, IRunLog log) =>
        RunCheckpoints.List(run, log).Select(w => (w.Step, w.Snapshot)).ToList();

    /// <summary>Zero-ablation drop of every head of <paramref name="layers"/> at every step of the run.</summary>
    public static List<DynamicsDrop> Measure(string runDir, Func<RunConfig, SplitTensors> data, IReadOnlyList<int> layers,
        int batchSize, Device device, IRunLog log)
    {
        var run = new RunDirectory(runDir);
        var steps = Steps(run, log);
        var drops = new List<DynamicsDrop>();
        SplitTensors? split = null;
        try
        {
            foreach (var (step, snapshot) in steps)
            {
                var (model, config) = RunLoader.Load(runDir, device, snapshot);
                using (model)
                {
                    split ??= data(config);
                    using var ablation = new HeadAblation(model, split, batchSize, config.Train.IgnoreClass, new SeedSequence(0));
                    log.Info($"step {step}{(snapshot is null ? " (final)" : "")}");
                    foreach (var r in ablation.Sweep(layers, AblationMode.Zero, AblationScope.Head, SilentLog.Instance))
                        drops.Add(new DynamicsDrop(step, r.Layer, r.Head, r.BaselineAccuracy, r.AccuracyDrop));
                }
            }
        }
        finally
        {
            split?.Dispose();
        }
        return drops;
    }

    /// <summary>Per (step, layer): top head, margin, γ, whether every gain above it exceeds 1, and the deposit's first step.</summary>
    public static List<DynamicsLayerSummary> Summarise(IReadOnlyList<DynamicsDrop> drops, double threshold)
    {
        var perStep = drops.GroupBy(d => d.Step).OrderBy(g => g.Key).Select(g => (Step: g.Key, Layers: g
            .GroupBy(d => d.Layer).OrderBy(l => l.Key)
            .Select(l => (Layer: l.Key, Score: DepositScore.Summarise(l.OrderBy(d => d.Head).Select(d => d.Drop).ToList(), new DepositThresholds())))
            .ToList())).ToList();
        if (perStep.Count == 0) return [];
        var finalTop = perStep[^1].Layers.ToDictionary(l => l.Layer, l => l.Score.TopHead);
        long DepositStep(int layer, int head)
        {
            foreach (var (step, layers) in perStep)
                if (layers.Any(l => l.Layer == layer && l.Score.TopHead == head && l.Score.TopDrop >= threshold)) return step;
            return -1;
        }

        var rows = new List<DynamicsLayerSummary>();
        foreach (var (step, layers) in perStep)
        {
            var margin = layers.ToDictionary(l => l.Layer, l => l.Score.Margin);
            int top = layers.Max(l => l.Layer);
            // γ_l = Margin_l / Margin_(l+1): +∞ when only the upper margin is 0, NaN when both are (no gain either way).
            double Gamma(int l) => margin.TryGetValue(l + 1, out var above) ? margin[l] / above : double.NaN;
            foreach (var (layer, score) in layers)
            {
                bool amplified = Enumerable.Range(layer, top - layer).All(k => Gamma(k) > 1);
                rows.Add(new DynamicsLayerSummary(step, layer, score.TopHead, score.TopDrop, score.RunnerUpDrop, score.Margin,
                    Gamma(layer), amplified, finalTop[layer], DepositStep(layer, finalTop[layer])));
            }
        }
        return rows;
    }
}
