using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>Mean attention of one head from trigger token <c>From</c> to trigger token <c>To</c>, against the uniform baseline.</summary>
public sealed record TriggerAttentionResult(int Layer, int Head, int From, int To, double Weight, double Uniform, long Sequences)
{
    public double Ratio => Weight / Uniform;
}

/// <summary>
/// Does the deposit head look from one trigger to the other (paper §9 opportunity 10)? In the distance task the two
/// triggers are the tokens that occur exactly once in every sequence; the weight a_(w1→w2) of the head is compared
/// with 1/(keys the query can see), the weight of uniform attention.
/// </summary>
public static class TriggerAttention
{
    /// <summary>The tokens (other than padding) that occur exactly once in every row of <paramref name="tokens"/> (N, T), ascending.</summary>
    public static List<int> FindTriggers(Tensor tokens, int padId)
    {
        var data = tokens.cpu().data<long>().ToArray();
        long n = tokens.shape[0], t = tokens.shape[1];
        HashSet<int>? common = null;
        var counts = new Dictionary<int, int>();
        for (long r = 0; r < n; r++)
        {
            counts.Clear();
            for (long j = 0; j < t; j++)
            {
                int id = (int)data[r * t + j];
                if (id != padId) counts[id] = counts.GetValueOrDefault(id) + 1;
            }
            var once = counts.Where(kv => kv.Value == 1).Select(kv => kv.Key);
            if (common is null) common = once.ToHashSet();
            else common.IntersectWith(once);
            if (common.Count == 0) break;
        }
        return (common ?? []).Order().ToList();
    }

    /// <summary>
    /// Both directions (a→b, b→a) for each head in <paramref name="heads"/> of <paramref name="layer"/>, over the rows
    /// that hold each trigger exactly once.
    /// </summary>
    public static List<TriggerAttentionResult> Measure(Transformer model, SplitTensors split, int layer, IReadOnlyList<int> heads,
        int a, int b, int batchSize, IRunLog log)
    {
        using var scope = NewDisposeScope(); // the sums; what leaves is numbers
        var device = split.Tokens.device;
        int h = model.Config.Heads;
        var sums = zeros(3, h, dtype: ScalarType.Float64, device: device); // a→b, b→a, uniform (only row 2, col 0 used per row)
        var rows = zeros(1, dtype: ScalarType.Float64, device: device);
        Tensor posA = null!, posB = null!, valid = null!, keysA = null!, keysB = null!;
        var remover = model.Blocks[layer].Attention.Pattern.register_forward_hook((_, _, pattern) =>
        {
            long n = pattern.shape[0], t = pattern.shape[2];
            Tensor At(Tensor from, Tensor to) => pattern
                .gather(2, from.view(n, 1, 1, 1).expand(n, h, 1, t))                  // (B, H, 1, S)
                .gather(3, to.view(n, 1, 1, 1).expand(n, h, 1, 1)).view(n, h)         // (B, H)
                .to(ScalarType.Float64);
            var keep = valid.view(n, 1);                                               // (B, 1)
            sums.select(0, 0).add_((At(posA, posB) * keep).sum([0]));
            sums.select(0, 1).add_((At(posB, posA) * keep).sum([0]));
            sums.select(0, 2).select(0, 0).add_((keysA.reciprocal() * valid).sum());
            sums.select(0, 2).select(0, 1).add_((keysB.reciprocal() * valid).sum());
            return pattern; // unchanged: this hook only reads
        });
        try
        {
            log.WithProgress("pattern", split.Count, progress =>
            {
                ActivationCache.ForEachBatch(model, split, batchSize, tokens =>
                {
                    var isA = tokens.eq(a);
                    var isB = tokens.eq(b);                                            // (B, T)
                    valid = isA.sum(1).eq(1).logical_and(isB.sum(1).eq(1)).to(ScalarType.Float64); // (B)
                    posA = isA.to(ScalarType.Int64).argmax(1);
                    posB = isB.to(ScalarType.Int64).argmax(1);                         // (B)
                    keysA = Keys(model.Config, tokens, posA);
                    keysB = Keys(model.Config, tokens, posB);                          // (B) float64
                    rows.add_(valid.sum());
                }, progress: progress);
                return 0;
            });
        }
        finally
        {
            remover.remove();
        }
        double count = rows.item<double>();
        if (count == 0)
            throw new InputError("--data", $"rows of split '{split.Name}'", $"sequences holding tokens {a} and {b} exactly once each", "none");
        var s = sums.cpu().data<double>().ToArray();
        double uniformA = s[2 * h] / count, uniformB = s[2 * h + 1] / count;
        var result = new List<TriggerAttentionResult>();
        foreach (var head in heads)
        {
            result.Add(new(layer, head, a, b, s[head] / count, uniformA, (long)count));
            result.Add(new(layer, head, b, a, s[h + head] / count, uniformB, (long)count));
        }
        return result;
    }

    /// <summary>How many keys a query at <paramref name="position"/> can attend to: all T (Reference: no mask), the real tokens, or those up to it (causal).</summary>
    private static Tensor Keys(TransformerConfig config, Tensor tokens, Tensor position)
    {
        if (config.Arch == Architecture.Reference && !config.Causal)
            return full(tokens.shape[0], (double)tokens.shape[1], dtype: ScalarType.Float64, device: tokens.device);
        if (config.Causal)
        {
            var upTo = position.to(ScalarType.Float64) + 1;
            return config.Arch == Architecture.Reference ? upTo : minimum(upTo, tokens.ne(config.PadId).sum(1).to(ScalarType.Float64));
        }
        return tokens.ne(config.PadId).sum(1).to(ScalarType.Float64);
    }
}
