using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// "RoPE + Absolute" (paper Ablation 1), which is what the reference <c>trans.py</c> calls <c>rope</c>: RoPE in every
/// attention layer, exactly as <see cref="RotaryEncoding"/>, PLUS an additive block encoding
/// [sin(p·ω_0..D/2−1) ‖ cos(p·ω_0..D/2−1)] (all sines, then all cosines; ω_i = 10000^(−2i/d_model)) on the embeddings.
/// Its <see cref="Coupling"/> is Multiplicative (its attention-level coupling), although it is a hybrid (paper.md §3).
/// </summary>
public sealed class RotaryAbsoluteEncoding : RotaryEncoding
{
    private readonly Tensor abs_freq; // (D/2) float64, non-persistent

    public RotaryAbsoluteEncoding(TransformerConfig config) : base(nameof(RotaryAbsoluteEncoding), config)
    {
        if (config.DModel % 2 != 0)
            throw UsageError.Option("--d-model", "an even number for the sin|cos block of rope-abs", config.DModel);
        abs_freq = SinusoidalEncoding.Frequencies(config.DModel);
        register_buffer(nameof(abs_freq), abs_freq, persistent: false);
        RegisterComponents();
    }

    public override Tensor AddToEmbedding(Tensor x)
    {
        var angles = Positions(x.shape[1], x).outer(Table(nameof(abs_freq), x.device));                 // (T, D/2)
        var table = cat([angles.sin(), angles.cos()], dim: -1).to(x.dtype);    // (T, D): sin block ‖ cos block
        return x + table;                                                       // (B, T, D)
    }
}
