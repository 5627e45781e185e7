using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer"): RoPE whose pair i is also scaled by ζ_i^(n/γ) on
/// the query at position n and by ζ_i^(−n/γ) on the key, ζ_i = (2i/d_rot + 0.4)/1.4, γ = XposScaleBase. The logit of
/// pair i is then multiplied by ζ_i^((m−n)/γ): still a function of m − n only (a decaying Toeplitz kernel).
/// Positions are not centred (torchscale centres them; that changes no logit, only overflow headroom, irrelevant
/// at our lengths). Shares RoPE's options (base, rotary fraction, rotated heads).
/// </summary>
public sealed class XposEncoding : RotaryEncoding
{
    private readonly Tensor zeta; // (d_rot/2) float64, non-persistent
    private readonly double gamma;

    public XposEncoding(TransformerConfig config) : base(nameof(XposEncoding), config)
    {
        gamma = config.PeOptions.XposScaleBase;
        if (!(gamma > 0))
            throw UsageError.Option("--xpos-scale-base", "a positive number", gamma);
        zeta = arange(0, RotaryDims, 2, dtype: float64).div(RotaryDims).add(0.4).div(1.4);
        register_buffer(nameof(zeta), zeta, persistent: false);
        RegisterComponents();
    }

    public override (Tensor Q, Tensor K) RotateQueryKey(int layer, Tensor q, Tensor k)
    {
        return (Scaled(q, +1), Scaled(k, -1));

        Tensor Scaled(Tensor x, double sign)
        {
            if (FastRotation && RotationTables.Fits(x))
                return Turn(x, Tables(sign > 0 ? "xpos-q" : "xpos-k", x, () => ScaledCosSin(x, sign)));
            var (cos, sin) = ScaledCosSin(x, sign);
            return Rotate(x, cos, sin);
        }
    }

    /// <summary>cos and sin (T, d_rot/2) of the angles, scaled by ζ^(±n/γ), in x's dtype.</summary>
    private (Tensor Cos, Tensor Sin) ScaledCosSin(Tensor x, double sign)
    {
        var angles = Angles(x);                                                  // (T, d_rot/2)
        var exponent = Positions(x.shape[2], x).unsqueeze(1).mul(sign / gamma);  // (T, 1)
        var scale = Table(nameof(zeta), x.device).unsqueeze(0).pow(exponent);    // (T, d_rot/2)
        return ((angles.cos() * scale).to(x.dtype), (angles.sin() * scale).to(x.dtype));
    }
}
