using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>
/// Reads hook points over a whole split without keeping every activation: running sums, copied out of the model's
/// dispose scopes as they arrive (the model opens none, STYLE.md §12).
/// </summary>
public static class ActivationCache
{
    /// <summary>
    /// The mean of <c>blocks.{l}.attn.z</c> over every row of <paramref name="split"/>, per layer: (H, T, dh) each,
    /// per position (padding positions included: they are positions the model computes too), in the model's dtype.
    /// </summary>
    public static IReadOnlyDictionary<int, Tensor> MeanZ(Transformer model, SplitTensors split, IEnumerable<int> layers, int batchSize)
    {
        var sums = new Dictionary<int, Tensor>();
        var removers = layers.Select(l => model.Blocks[l].Attention.Z.register_forward_hook((_, _, z) =>
        {
            var batchSum = z.detach().to(ScalarType.Float64).sum([0]); // (H, T, dh)
            if (sums.TryGetValue(l, out var total)) total.add_(batchSum);
            else sums[l] = batchSum.clone().DetachFromDisposeScope();
            return z; // unchanged: this hook only reads
        })).ToList();
        try
        {
            ForEachBatch(model, split, batchSize);
        }
        finally
        {
            foreach (var r in removers) r.remove();
        }
        var dtype = model.parameters().First().dtype;
        return sums.ToDictionary(kv => kv.Key, kv =>
        {
            var mean = kv.Value.div(split.Count).to(dtype).DetachFromDisposeScope();
            kv.Value.Dispose();
            return mean;
        });
    }

    /// <summary>
    /// Runs the model over <paramref name="split"/> in batches, in eval mode without gradients, one dispose scope per
    /// batch. <paramref name="beforeBatch"/> sees each batch's tokens (B, T) before the forward pass, so hooks can
    /// know which positions are padding; <paramref name="afterBatch"/> sees its tokens and logits.
    /// </summary>
    public static void ForEachBatch(Transformer model, SplitTensors split, int batchSize, Action<Tensor>? beforeBatch = null,
        Action<Tensor, Tensor>? afterBatch = null, IProgressReport? progress = null)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (long start = 0; start < split.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var tokens = split.Tokens.narrow(0, start, Math.Min(batchSize, split.Count - start)); // (B, T)
                beforeBatch?.Invoke(tokens);
                var logits = model.call(tokens);                                                       // (B, C)
                afterBatch?.Invoke(tokens, logits);
                progress?.Report(Math.Min(start + batchSize, split.Count));
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
