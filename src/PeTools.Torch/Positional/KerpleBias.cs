using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// KERPLE, logarithmic variant (Chi et al. 2022): bias_h(i, j) = −r1_h·log(1 + r2_h·|i − j|), r1, r2 > 0 learned per
/// head and per layer. Chosen over FIRE because FIRE normalises by the query position (a function of i, not only
/// i − j, below its learned threshold) and is defined causally; KERPLE is a conditionally positive-definite kernel of
/// |i − j| alone, so it sits in the paper's "Toeplitz B" family as cleanly as ALiBi, with learnable shape.
/// Positivity by softplus (not KERPLE's clamp after each step, which would need the optimiser's cooperation).
/// Init: r1 = 1, r2_h = 2^(−8h/H), so heads start at different ranges. State-dict keys: <c>pe.r1</c>, <c>pe.r2</c>
/// (layers, H), pre-softplus.
/// </summary>
public sealed class KerpleBias : PositionalEncoding
{
    private readonly Parameter r1;
    private readonly Parameter r2;

    public KerpleBias(TransformerConfig config) : base(nameof(KerpleBias))
    {
        var h = arange(config.Heads, dtype: float32);
        var r2Init = pow(2.0, h.mul(-8.0 / config.Heads));                                     // (H)
        r1 = new Parameter(InverseSoftplus(ones(config.Layers, config.Heads)));                // (L, H)
        r2 = new Parameter(InverseSoftplus(r2Init.unsqueeze(0).repeat(config.Layers, 1)));     // (L, H)
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.Additive;

    /// <summary>Layer l's r1[l] and r2[l].</summary>
    public override IEnumerable<(Parameter Parameter, long Index)> LayerParameters(int layer) => [(r1, layer), (r2, layer)];

    public override Tensor? LogitBias(int layer, long queryLength, long keyLength, Device? device = null)
    {
        var distance = Offsets(queryLength, keyLength, r1).abs().to(r1.dtype);               // (Tq, Tk)
        var scale = nn.functional.softplus(r1[layer]).view(-1, 1, 1);                         // (H, 1, 1)
        var rate = nn.functional.softplus(r2[layer]).view(-1, 1, 1);                          // (H, 1, 1)
        return (rate * distance).log1p().mul(scale).neg();                                    // (H, Tq, Tk)
    }

    private static Tensor InverseSoftplus(Tensor y) => y.expm1().log();
}
