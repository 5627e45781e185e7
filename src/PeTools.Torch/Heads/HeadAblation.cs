using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>What an ablated head's output z becomes.</summary>
public enum AblationMode
{
    /// <summary>0: the paper's protocol (zero the head's rows of W_V and bias, reference-code.md §5), done on z.</summary>
    Zero,

    /// <summary>Its mean over the evaluated rows, per position: removes what varies with the input, keeps the offset.</summary>
    Mean,

    /// <summary>Its value on another row of the batch (a seeded random pairing, never a row with itself when B &gt; 1).</summary>
    Resample,
}

/// <summary>Which heads of the layer an ablation touches.</summary>
public enum AblationScope
{
    /// <summary>Only the named head.</summary>
    Head,

    /// <summary>Every head of the layer but the named one.</summary>
    AllButHead,
}

/// <summary>One ablation's effect on one set of rows.</summary>
public sealed record AblationResult(int Layer, int Head, AblationMode Mode, AblationScope Scope,
    double BaselineAccuracy, double Accuracy, double BaselineLoss, double Loss)
{
    public double AccuracyDrop => BaselineAccuracy - Accuracy;
    public double LossIncrease => Loss - BaselineLoss;
}

/// <summary>
/// Head ablation by a forward hook on <c>blocks.{l}.attn.z</c> (B, H, T, dh), removed in a finally: weights are never
/// touched (STYLE.md §4), so a crash mid-sweep cannot leave a damaged model behind.
/// </summary>
public sealed class HeadAblation(Transformer model, SplitTensors split, int batchSize, int? ignoreClass, SeedSequence seeds)
    : IDisposable
{
    private IReadOnlyDictionary<int, Tensor>? _means;

    /// <summary>Accuracy and loss of the intact model on the split.</summary>
    public (double Loss, double Accuracy) Baseline() => Evaluator.Evaluate(model, split, batchSize, ignoreClass);

    /// <summary>Ablates every head of every layer in <paramref name="layers"/> in turn (one full evaluation each).</summary>
    public List<AblationResult> Sweep(IReadOnlyList<int> layers, AblationMode mode, AblationScope scope, IRunLog log)
    {
        var (baseLoss, baseAcc) = Baseline();
        if (mode == AblationMode.Mean)
        {
            Dispose();
            _means = ActivationCache.MeanZ(model, split, layers, batchSize);
        }
        int heads = model.Config.Heads;
        return log.WithProgress($"ablate ({mode.ToString().ToLowerInvariant()})", layers.Count * heads, progress =>
        {
            var rows = new List<AblationResult>();
            foreach (var layer in layers)
                for (int head = 0; head < heads; head++)
                {
                    var (loss, acc) = Evaluate(layer, head, mode, scope);
                    rows.Add(new AblationResult(layer, head, mode, scope, baseAcc, acc, baseLoss, loss));
                    progress.Report(rows.Count, $"layer {layer} head {head}: acc {acc:F4}");
                }
            return rows;
        });
    }

    /// <summary>Loss and accuracy with head <paramref name="head"/> of <paramref name="layer"/> ablated (or all but it).</summary>
    public (double Loss, double Accuracy) Evaluate(int layer, int head, AblationMode mode, AblationScope scope)
    {
        int heads = model.Config.Heads;
        if (layer < 0 || layer >= model.Config.Layers)
            throw UsageError.Option("--layers", $"layer indices in 0..{model.Config.Layers - 1}", layer);
        if (head < 0 || head >= heads)
            throw UsageError.Option("--head", $"a head index in 0..{heads - 1}", head);
        if (mode == AblationMode.Mean && (_means is null || !_means.ContainsKey(layer)))
            _means = ActivationCache.MeanZ(model, split, [layer], batchSize);

        using var evaluation = NewDisposeScope(); // the mask and pairings; results are plain numbers
        var dtype = model.parameters().First().dtype;
        var device = split.Tokens.device;
        // ablated (1, H, 1, 1): 1 where z is replaced.
        var mask = zeros(heads, dtype: dtype, device: device);
        if (scope == AblationScope.Head) mask[head] = tensor(1.0, dtype: dtype);
        else { mask.fill_(1.0); mask[head] = tensor(0.0, dtype: dtype); }
        var ablated = mask.view(1, heads, 1, 1);
        var pairing = seeds.Random($"resample/{layer}/{head}/{scope}");
        var remover = model.Blocks[layer].Attention.Z.register_forward_hook((_, _, z) =>
        {
            var replacement = mode switch
            {
                AblationMode.Zero => zeros_like(z),                                   // (B, H, T, dh)
                AblationMode.Mean => _means![layer].unsqueeze(0).expand_as(z),       // (B, H, T, dh)
                AblationMode.Resample => z.index_select(0, Pairing(z.shape[0], pairing, device)), // (B, H, T, dh)
                _ => throw new ArgumentOutOfRangeException(nameof(mode)),
            };
            return z + ablated * (replacement - z);                                   // (B, H, T, dh)
        });
        try
        {
            return Evaluator.Evaluate(model, split, batchSize, ignoreClass);
        }
        finally
        {
            remover.remove();
        }
    }

    public void Dispose()
    {
        foreach (var t in _means?.Values ?? []) t.Dispose();
        _means = null;
    }

    /// <summary>
    /// Row i takes row pair[i]: a random cyclic order, each row paired with its successor, so no row keeps its own
    /// value when B &gt; 1 (a plain permutation would leave about one row per batch un-ablated).
    /// </summary>
    public static Tensor Pairing(long batch, Random rng, Device device)
    {
        var order = Enumerable.Range(0, (int)batch).ToArray();
        rng.Shuffle(order);
        var pair = new long[batch];
        for (int k = 0; k < batch; k++) pair[order[k]] = order[(k + 1) % batch];
        return tensor(pair, dtype: ScalarType.Int64, device: device);
    }
}
