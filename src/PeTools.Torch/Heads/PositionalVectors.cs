using PeTools.Core;
using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>One evaluation (or the mean/std of the random draws) of <see cref="PositionalVectors.Sweep"/>.</summary>
public sealed record PositionalVectorResult(int Layer, string Kind, string Stat, int Draw, double Accuracy, double BaselineAccuracy);

/// <summary>
/// Paper Fig. 8 (claims C17, C18, C24): is position stored as explicit directions in the activations? At the input of
/// layer l (hook <c>blocks.{l}.resid_pre</c>) subtract the model's positional vectors p_i, or random vectors with the
/// same norm per position, and compare accuracy. Only the residual stream changes: in the Reference architecture the
/// layer-0 embeddings every block reads K/V from keep p_i (the hook point is on the block input, not on that memory).
/// </summary>
public static class PositionalVectors
{
    public const string Positional = "positional";
    public const string Random = "random";

    /// <summary>
    /// p_i as the model adds it at the input, AddToEmbedding(0) for positions 0..length−1, (length, D) in the model's
    /// dtype; null when the PE adds nothing there (NoPE, RoPE, ALiBi, ...: not applicable).
    /// </summary>
    public static Tensor? Of(Transformer model, long length, Device device)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var dtype = model.parameters().First().dtype;
        var zero = zeros(1, length, model.Config.DModel, dtype: dtype, device: device);
        var p = model.PositionalEncoding.AddToEmbedding(zero).squeeze(0);                   // (T, D)
        return p.abs().max().to(ScalarType.Float64).item<double>() == 0 ? null : p.clone().MoveToOuterDisposeScope();
    }

    /// <summary>Gaussian directions scaled to ‖p_i‖ row by row, drawn on the CPU in float64 so every device gets the same vectors.</summary>
    public static Tensor NormMatchedRandom(Tensor p, long seed)
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var r = randn(p.shape, generator: generator, dtype: ScalarType.Float64);            // (T, D)
        var norms = p.to(ScalarType.Float64).cpu().norm(1, keepdim: true);                   // (T, 1)
        var scaled = r / r.norm(1, keepdim: true).clamp_min(1e-300) * norms;                 // (T, D)
        return scaled.to(p.dtype).to(p.device).MoveToOuterDisposeScope();
    }

    /// <summary>Loss and accuracy with <paramref name="vectors"/> (T, D) subtracted from the input of <paramref name="layer"/>.</summary>
    public static (double Loss, double Accuracy) EvaluateSubtracted(Transformer model, SplitTensors split, int layer,
        Tensor vectors, int batchSize, int? ignoreClass)
    {
        var remove = model.Blocks[layer].ResidPre.register_forward_hook((_, _, x) => x - vectors.unsqueeze(0)); // (B, T, D)
        try
        {
            return Evaluator.Evaluate(model, split, batchSize, ignoreClass);
        }
        finally
        {
            remove.remove();
        }
    }

    /// <summary>
    /// For every layer: one row for p_i, one per random draw, and the mean and sample std of the draws. Random draw d
    /// uses the same vectors at every layer (seed "posvec/d"), so layers differ only in where they are subtracted.
    /// </summary>
    public static List<PositionalVectorResult> Sweep(Transformer model, SplitTensors split, Tensor p, IReadOnlyList<int> layers,
        int draws, int batchSize, int? ignoreClass, SeedSequence seeds, IRunLog log)
    {
        var baseline = Evaluator.Evaluate(model, split, batchSize, ignoreClass).Accuracy;
        var randoms = Enumerable.Range(0, draws).Select(d => NormMatchedRandom(p, seeds.For($"posvec/{d}"))).ToList();
        try
        {
            return log.WithProgress("posvec", layers.Count * (draws + 1), progress =>
            {
                var rows = new List<PositionalVectorResult>();
                int done = 0;
                foreach (var layer in layers)
                {
                    var acc = EvaluateSubtracted(model, split, layer, p, batchSize, ignoreClass).Accuracy;
                    rows.Add(new(layer, Positional, "draw", 0, acc, baseline));
                    progress.Report(++done, $"layer {layer} positional: acc {acc:F4}");
                    var accs = new List<double>();
                    for (int d = 0; d < draws; d++)
                    {
                        accs.Add(EvaluateSubtracted(model, split, layer, randoms[d], batchSize, ignoreClass).Accuracy);
                        rows.Add(new(layer, Random, "draw", d, accs[^1], baseline));
                        progress.Report(++done);
                    }
                    if (draws == 0) continue;
                    double mean = accs.Average();
                    double std = draws > 1 ? Math.Sqrt(accs.Sum(a => (a - mean) * (a - mean)) / (draws - 1)) : 0;
                    rows.Add(new(layer, Random, "mean", -1, mean, baseline));
                    rows.Add(new(layer, Random, "std", -1, std, baseline));
                }
                return rows;
            });
        }
        finally
        {
            foreach (var r in randoms) r.Dispose();
        }
    }
}
