using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>
/// One layer's mean attention pattern: Weights[h, i, j] is the mean of a_ij over the rows in which positions i and j
/// both hold real tokens (Sequences[i, j] of them). Padding cells are left out rather than averaged as zeros or as
/// the weight the Reference architecture pays to padding, so a cell's mean is always over sequences that have it.
/// </summary>
public sealed record LayerMap(int Layer, double[,,] Weights, long[,] Sequences);

public static class AttentionMaps
{
    /// <summary>Mean patterns of <paramref name="layers"/>, over query and key positions below <paramref name="maxLength"/>.</summary>
    public static List<LayerMap> Measure(Transformer model, SplitTensors split, IReadOnlyList<int> layers, int batchSize,
        int maxLength, IRunLog log)
    {
        using var scope = NewDisposeScope(); // the sums; what leaves is managed arrays
        int heads = model.Config.Heads, padId = model.Config.PadId;
        long t = Math.Min(maxLength, split.Length);
        var device = split.Tokens.device;
        var weights = layers.ToDictionary(l => l, _ => zeros(heads, t, t, dtype: ScalarType.Float64, device: device));
        var counts = zeros(t, t, dtype: ScalarType.Float64, device: device);
        Tensor cells = null!;
        var removers = layers.Select(l => (Action)model.Blocks[l].Attention.Pattern.register_forward_hook((_, _, pattern) =>
        {
            var a = pattern.narrow(2, 0, t).narrow(3, 0, t).to(ScalarType.Float64);   // (B, H, t, t)
            weights[l].add_((a * cells).sum([0]));                                   // (H, t, t)
            return pattern; // unchanged: this hook only reads
        }).remove).ToList();
        try
        {
            log.WithProgress("maps", split.Count, progress =>
            {
                ActivationCache.ForEachBatch(model, split, batchSize, tokens =>
                {
                    var real = tokens.narrow(1, 0, t).ne(padId).to(ScalarType.Float64);      // (B, t)
                    cells = real.unsqueeze(2) * real.unsqueeze(1);                          // (B, t, t)
                    cells = cells.unsqueeze(1);                                              // (B, 1, t, t)
                    counts.add_(cells.sum([0, 1]));                                     // (t, t)
                }, progress: progress);
                return 0;
            });
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        var n = (long[,])ToArray2(counts);
        var maps = new List<LayerMap>();
        foreach (var l in layers)
        {
            var mean = (weights[l] / counts.clamp_min(1)).cpu().data<double>().ToArray();   // (H, t, t) row-major
            var w = new double[heads, t, t];
            Buffer.BlockCopy(mean, 0, w, 0, mean.Length * sizeof(double));
            maps.Add(new LayerMap(l, w, n));
        }
        return maps;
    }

    private static Array ToArray2(Tensor counts)
    {
        long t = counts.shape[0];
        var flat = counts.to(ScalarType.Int64).cpu().data<long>().ToArray();
        var result = new long[t, t];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(long));
        return result;
    }
}
