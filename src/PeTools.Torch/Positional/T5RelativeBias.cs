using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// T5's bucketed relative bias (Raffel et al. 2020), bidirectional: half the buckets (16 of 32) for keys after the
/// query, half for the rest; within each half, offsets below 8 get their own bucket and larger ones share
/// log-spaced buckets up to max_distance (128), beyond which all fall in the last one. ONE table shared by all
/// layers, as T5 computes it in its first layer and reuses it. Init N(0, 0.02), like <c>relative</c>, so the two
/// learned biases start alike. State-dict key (HF T5's name): <c>pe.relative_attention_bias.weight</c> (buckets, H).
/// </summary>
public sealed class T5RelativeBias : PositionalEncoding
{
    private readonly Embedding relative_attention_bias;
    private readonly int buckets;
    private readonly int maxDistance;

    public T5RelativeBias(TransformerConfig config) : base(nameof(T5RelativeBias))
    {
        buckets = config.PeOptions.T5Buckets;
        maxDistance = config.PeOptions.T5MaxDistance;
        if (buckets < 4 || buckets % 2 != 0)
            throw UsageError.Option("--t5-buckets", "an even number of at least 4", buckets);
        if (maxDistance <= buckets / 4)
            throw UsageError.Option("--t5-max-distance", $"more than {buckets / 4} (the exact-bucket range)", maxDistance);
        relative_attention_bias = nn.Embedding(buckets, config.Heads);
        using (no_grad()) relative_attention_bias.weight!.normal_(0, 0.02);
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.Additive;

    public override Tensor? LogitBias(int layer, long queryLength, long keyLength, Device? device = null)
    {
        var index = Bucket(Offsets(queryLength, keyLength, relative_attention_bias.weight!)); // (Tq, Tk)
        return relative_attention_bias.call(index).permute(2, 0, 1);                          // (H, Tq, Tk)
    }

    /// <summary>The bucket of each signed offset j − i (T5's <c>_relative_position_bucket</c>, bidirectional).</summary>
    internal Tensor Bucket(Tensor offset)
    {
        var half = buckets / 2;
        var exact = half / 2;
        var distance = offset.abs();
        var clamped = distance.clamp_min(exact).to(float64);    // log(0) never reaches the cast below
        var logBucket = (clamped / exact).log() / Math.Log((double)maxDistance / exact) * (half - exact);
        var large = (logBucket.to(int64) + exact).clamp_max(half - 1);
        var bucket = where(distance < exact, distance, large);
        return bucket + (offset > 0).to(int64) * half;
    }
}
