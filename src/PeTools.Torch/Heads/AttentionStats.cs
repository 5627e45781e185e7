using PeTools.Core.Logging;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>One head's attention statistics, each a mean over the real (non-padding) query positions of the rows.</summary>
public sealed record HeadStat(int Layer, int Head, double Entropy, double MeanDistance, double ToeplitzShare,
    double FirstTokenMass, double LastTokenMass);

/// <summary>
/// Per-head attention statistics from the <c>attn.logits</c> and <c>attn.pattern</c> hooks. Padding: only real query
/// positions count, and the Toeplitz share reads only the real×real block of the logits; key-side sums run over all
/// keys, so attention the Reference architecture pays to padding still counts in the entropy and distance.
/// </summary>
public static class AttentionStats
{
    public static List<HeadStat> Measure(Transformer model, SplitTensors split, IReadOnlyList<int> layers, int batchSize, IRunLog log)
    {
        int heads = model.Config.Heads, padId = model.Config.PadId;
        var sums = layers.ToDictionary(l => l, _ => zeros(5, heads, dtype: ScalarType.Float64, device: split.Tokens.device).DetachFromDisposeScope()); // (5, H)
        double queries = 0, sequences = 0;
        Tensor real = null!;
        var removers = new List<Action>();
        foreach (var l in layers)
        {
            var attention = model.Blocks[l].Attention;
            removers.Add(attention.Logits.register_forward_hook((_, _, logits) =>
            {
                sums[l].select(0, 2).add_(ToeplitzShare(logits, real).sum([0])); // (H). Never .sum(0): 0 converts to ScalarType
                return logits; // unchanged: these hooks only read
            }).remove);
            removers.Add(attention.Pattern.register_forward_hook((_, _, pattern) =>
            {
                var (entropy, distance, first, last) = PatternSums(pattern, real);          // (H) each
                sums[l].select(0, 0).add_(entropy);
                sums[l].select(0, 1).add_(distance);
                sums[l].select(0, 3).add_(first);
                sums[l].select(0, 4).add_(last);
                return pattern;
            }).remove);
        }
        try
        {
            log.WithProgress("stats", split.Count, progress =>
            {
                ActivationCache.ForEachBatch(model, split, batchSize, tokens =>
                {
                    real = tokens.ne(padId);                                                 // (B, T)
                    queries += real.sum().item<long>();
                    sequences += tokens.shape[0];
                }, progress: progress);
                return 0;
            });
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        var rows = new List<HeadStat>();
        foreach (var l in layers)
        {
            var s = sums[l].cpu().data<double>().ToArray();    // row-major (5, H)
            for (int h = 0; h < heads; h++)
                rows.Add(new HeadStat(l, h, s[h] / queries, s[heads + h] / queries, s[2 * heads + h] / sequences,
                    s[3 * heads + h] / queries, s[4 * heads + h] / queries));
            sums[l].Dispose();
        }
        return rows;
    }

    /// <summary>
    /// Sums over rows and real query positions of: entropy −Σ_j a_ij ln a_ij (nats), distance Σ_j a_ij |i − j|, the
    /// weight on key 0, and the weight on the row's last real token. pattern (B, H, T, S), real (B, T) bool. Each (H).
    /// </summary>
    public static (Tensor Entropy, Tensor Distance, Tensor First, Tensor Last) PatternSums(Tensor pattern, Tensor real)
    {
        var a = pattern.to(ScalarType.Float64);                                        // (B, H, T, S)
        long b = a.shape[0], t = a.shape[2], s = a.shape[3];
        var queries = real.to(ScalarType.Float64).view(b, 1, t);                       // (B, 1, T)
        var entropy = -(a * a.clamp_min(1e-300).log()).sum(-1);                        // (B, H, T); 0·ln 0 = 0
        var i = arange(t, dtype: ScalarType.Float64, device: a.device).view(t, 1);
        var j = arange(s, dtype: ScalarType.Float64, device: a.device).view(1, s);
        var distance = (a * (i - j).abs()).sum(-1);                                    // (B, H, T)
        var first = a.select(-1, 0);                                                   // (B, H, T)
        var lastIndex = (real.sum(-1) - 1).clamp_min(0).view(b, 1, 1, 1).expand(b, a.shape[1], t, 1); // (B, H, T, 1)
        var last = a.gather(-1, lastIndex).squeeze(-1);                                // (B, H, T)
        Tensor Sum(Tensor x) => (x * queries).sum([0, 2]);                             // (H)
        return (Sum(entropy), Sum(distance), Sum(first), Sum(last));
    }

    /// <summary>
    /// Per row and head, the share ‖P(L)‖² / ‖L‖² of the logits' energy, over the real×real block, that lies in its
    /// Toeplitz projection P (each diagonal replaced by its mean: the orthogonal projection onto matrices constant
    /// along diagonals). Uncentred: a constant offset counts as Toeplitz. 1 for an all-zero block (it is Toeplitz).
    /// logits (B, H, T, T), real (B, T) bool (right padding: the real block is the top-left one). Returns (B, H).
    /// </summary>
    public static Tensor ToeplitzShare(Tensor logits, Tensor real)
    {
        var l = logits.to(ScalarType.Float64);                                         // (B, H, T, T)
        long b = l.shape[0], h = l.shape[1], t = l.shape[2];
        var r = real.to(ScalarType.Float64);
        var cells = (r.view(b, 1, t, 1) * r.view(b, 1, 1, t));                         // (B, 1, T, T)
        var masked = (l * cells).flatten(2);                                           // (B, H, T·T)
        var i = arange(t, device: l.device).view(t, 1);
        var j = arange(t, device: l.device).view(1, t);
        var diagonal = (j - i + (t - 1)).flatten();                                    // (T·T) in 0..2T−2
        var sums = zeros(b, h, 2 * t - 1, dtype: ScalarType.Float64, device: l.device)
            .scatter_add_(2, diagonal.expand(b, h, t * t), masked);                    // (B, H, 2T−1)
        var counts = zeros(b, 1, 2 * t - 1, dtype: ScalarType.Float64, device: l.device)
            .scatter_add_(2, diagonal.expand(b, 1, t * t), cells.flatten(2));          // (B, 1, 2T−1)
        var projected = (sums.square() / counts.clamp_min(1)).sum(-1);                 // (B, H): Σ_d n_d·mean_d²
        var total = masked.square().sum(-1);                                           // (B, H)
        return where(total > 0, projected / total.clamp_min(double.Epsilon), ones_like(total));
    }
}
