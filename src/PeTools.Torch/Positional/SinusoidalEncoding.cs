using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// Vaswani's sinusoidal absolute PE as the reference's <c>absolute</c> builds it: interleaved,
/// PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = 10000^(−2i/d_model), added to the embeddings unscaled.
/// </summary>
public sealed class SinusoidalEncoding : PositionalEncoding
{
    // (D/2) float64 frequencies; float64 so the table matches the closed form to float32 rounding at any position.
    private readonly Tensor inv_freq;

    public SinusoidalEncoding(TransformerConfig config) : base(nameof(SinusoidalEncoding))
    {
        if (config.DModel % 2 != 0)
            throw UsageError.Option("--d-model", "an even number for the sinusoidal PE", config.DModel);
        inv_freq = Frequencies(config.DModel);
        register_buffer(nameof(inv_freq), inv_freq, persistent: false);
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.Additive;

    public override Tensor AddToEmbedding(Tensor x)
    {
        var angles = Positions(x.shape[1], x).outer(Table(nameof(inv_freq), x.device));                            // (T, D/2)
        var table = stack([angles.sin(), angles.cos()], dim: -1).flatten(-2).to(x.dtype); // (T, D): sin even, cos odd
        return x + table;                                                                  // (B, T, D)
    }

    /// <summary>ω_i = 10000^(−2i/d) for i = 0..d/2−1, float64 (shared with the block-wise table of rope-abs).</summary>
    internal static Tensor Frequencies(int d) =>
        pow(10000.0, arange(0, d, 2, dtype: float64).div(d).neg());
}
