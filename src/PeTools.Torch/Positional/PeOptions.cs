namespace PeTools.Torch.Positional;

/// <summary>
/// Options a PE may read; each PE validates the ones it uses (and ignores the rest) when it is built.
/// Defaults are the reference code's (shared/paper/reference-code.md §3) or, where the reference has no such PE,
/// the defaults of the paper that introduced it.
/// </summary>
/// <param name="RopeBase">RoPE/xPos frequency base: theta_i = base^(-2i/d_rot).</param>
/// <param name="RotaryFraction">Fraction of each head's dims that rotate (GPT-NeoX rotary_pct); the rest pass through.</param>
/// <param name="RopeHeads">Rotate only heads 0..k-1 (the paper's partial-RoPE ablation: 0 = NoPE, H = pure RoPE); null = all.</param>
/// <param name="XposScaleBase">xPos gamma: the scale is zeta^(n/gamma) (Sun et al. 2022 use 512).</param>
/// <param name="T5Buckets">T5 relative-attention buckets, both directions together (T5 uses 32).</param>
/// <param name="T5MaxDistance">T5 distance beyond which all offsets share the last bucket (T5 uses 128).</param>
public sealed record PeOptions(
    double RopeBase = 10000,
    double RotaryFraction = 1.0,
    int? RopeHeads = null,
    double XposScaleBase = 512,
    int T5Buckets = 32,
    int T5MaxDistance = 128);
