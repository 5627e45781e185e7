using PeTools.Core.Errors;
using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// Pure RoPE (Su et al.), the reference's <c>partialrope.py</c>: adjacent pairs (2i, 2i+1) of each head's q and k are
/// rotated by the angle p·θ_i, θ_i = base^(−2i/d_rot), so q_m·k_n depends on content and on m − n only
/// (paper.md §2: L_RoPE = Re{(·) ∘ G_e}). Options: base; the fraction of head dims that rotate (d_rot, GPT-NeoX
/// rotary_pct: frequencies are spread over d_rot, the remaining dims pass through); and RoPE on the first k heads only
/// (the paper's partial-RoPE ablation: k = 0 is NoPE, k = H is pure RoPE). The same rotation in every layer.
/// </summary>
public class RotaryEncoding : PositionalEncoding
{
    // (d_rot/2) float64 frequencies: angles p·θ stay exact far beyond any max_len we train.
    private readonly Tensor inv_freq;

    public RotaryEncoding(TransformerConfig config) : this(nameof(RotaryEncoding), config) => RegisterComponents();

    /// <summary>For subclasses: they register their own buffers and then call <c>RegisterComponents()</c>.</summary>
    protected RotaryEncoding(string name, TransformerConfig config) : base(name)
    {
        var o = config.PeOptions;
        var headDim = config.DModel / config.Heads;
        if (!(o.RopeBase > 1))
            throw UsageError.Option("--rope-base", "a number greater than 1", o.RopeBase);
        if (!(o.RotaryFraction > 0 && o.RotaryFraction <= 1))
            throw UsageError.Option("--rotary-fraction", "a number in (0, 1]", o.RotaryFraction);
        RotaryDims = 2 * (int)Math.Round(o.RotaryFraction * headDim / 2);
        if (RotaryDims < 2)
            throw UsageError.Option("--rotary-fraction", $"a fraction leaving at least one pair of the {headDim} head dims", o.RotaryFraction);
        RotaryHeads = o.RopeHeads ?? config.Heads;
        if (RotaryHeads < 0 || RotaryHeads > config.Heads)
            throw UsageError.Option("--rope-heads", $"a head count in 0..{config.Heads}", RotaryHeads);
        inv_freq = pow(o.RopeBase, arange(0, RotaryDims, 2, dtype: float64).div(RotaryDims).neg());
        register_buffer(nameof(inv_freq), inv_freq, persistent: false);
    }

    /// <summary>How many leading dims of each head rotate (even).</summary>
    public int RotaryDims { get; }

    /// <summary>How many leading heads rotate; the others are position-free.</summary>
    public int RotaryHeads { get; }

    public override Coupling Coupling => Coupling.Multiplicative;

    /// <summary>
    /// True (the fast path): each rotation is x·C + swap(x)·S with tables C, S built once per length, dtype and device
    /// (<see cref="RotationTables"/>), three kernels forward and four backward. False: the composite of pairs, the
    /// oracle (about ten kernels forward, fifteen backward, and cos/sin recomputed per call). Same maths; tests hold
    /// them to rounding.
    /// </summary>
    public bool FastRotation { get; set; } = true;

    /// <summary>
    /// Whether and where the fast path rotates in one run-time kernel per direction (<see cref="FusedRotation"/>):
    /// <see cref="KernelUse.Rotation"/> (true by default) where a launcher is at hand (a CUDA device with NVRTC, or
    /// <see cref="KernelUse.Launcher"/>); otherwise <see cref="RotationTables.Apply"/>, that kernel's oracle. The
    /// <see cref="Model.Transformer"/> hands its own object here, shared with its layers.
    /// </summary>
    public KernelUse Kernels { get; set; } = new();

    private readonly Dictionary<string, (Tensor C, Tensor S)> _rotationTables = new(StringComparer.Ordinal);

    public override (Tensor Q, Tensor K) RotateQueryKey(int layer, Tensor q, Tensor k)
    {
        if (FastRotation && RotationTables.Fits(q) && RotationTables.Fits(k))
            return (Turn(q, Tables("rope", q, () => CosSin(q))),                     // (B, H, T, dh)
                    Turn(k, Tables("rope", k, () => CosSin(k))));                    // (B, H, S, dh)
        var (qCos, qSin) = CosSin(q);
        var (kCos, kSin) = CosSin(k);
        return (Rotate(q, qCos, qSin), Rotate(k, kCos, kSin));
    }

    /// <summary>
    /// The fast path's tables for x (B, H, T, dh), cached under <paramref name="kind"/>, T, H, dtype and device;
    /// <paramref name="cosSin"/> gives the (T, d_rot/2) cos and sin on a miss (a subclass passes scaled ones: xPos).
    /// </summary>
    protected (Tensor C, Tensor S) Tables(string kind, Tensor x, Func<(Tensor Cos, Tensor Sin)> cosSin)
    {
        var key = $"{kind}:{x.shape[1]}:{x.shape[2]}:{x.shape[3]}:{x.dtype}:{x.device}";
        if (!_rotationTables.TryGetValue(key, out var tables))
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var (cos, sin) = cosSin();
            var (c, s) = RotationTables.Build(cos, sin, x.shape[1], Math.Min(RotaryHeads, x.shape[1]), x.shape[3]);
            _rotationTables[key] = tables = (c.DetachFromDisposeScope(), s.DetachFromDisposeScope());
        }
        return tables;
    }

    /// <summary>
    /// Fewest pairs per (b, t) row for the kernel on a GPU: it gives each row one block, so narrower rows leave most
    /// lanes idle. MLA's decoupled branch (one head of 16 dims, 8 pairs) ran 3% slower in the kernel than with the
    /// tables on an H200 (examples/results/gpu/kernels-h200), the paper's 16 heads × 8 pairs 12% faster.
    /// </summary>
    public const long KernelMinPairsPerRow = 64;

    /// <summary>The fast path's rotation of x (B, H, T, dh): in one kernel where <see cref="Kernels"/> can, else by the tables.</summary>
    protected Tensor Turn(Tensor x, (Tensor C, Tensor S) tables)
    {
        if (Kernels.Rotation && Kernels.LauncherFor(x.device) is { } launcher && FusedRotation.Fits(x, tables, launcher)
            && (!launcher.IsCuda || x.shape[1] * x.shape[3] / 2 >= KernelMinPairsPerRow))
            return FusedRotation.Apply(x, tables, launcher);                      // (B, H, T, dh)
        return RotationTables.Apply(x, tables);                                   // (B, H, T, dh)
    }

    /// <summary>The angles p·θ_i for the positions of x (B, H, T, dh), as float64 (T, d_rot/2).</summary>
    protected Tensor Angles(Tensor x) => Positions(x.shape[2], x).outer(Table(nameof(inv_freq), x.device));

    private (Tensor Cos, Tensor Sin) CosSin(Tensor x)
    {
        var angles = Angles(x);                             // (T, d_rot/2)
        return (angles.cos().to(x.dtype), angles.sin().to(x.dtype));
    }

    /// <summary>
    /// The composite (the oracle of <see cref="RotationTables"/>):
    /// multiplies each rotated pair (x_2i + i·x_2i+1) by (cos + i·sin); a subclass may pass scaled cos/sin (xPos).
    /// Heads beyond RotaryHeads and dims beyond RotaryDims pass through. A one-head tensor (MLA's shared decoupled
    /// branch) rotates when RotaryHeads ≥ 1.
    /// </summary>
    protected Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        long b = x.shape[0], heads = x.shape[1], t = x.shape[2], dh = x.shape[3];
        var k = Math.Min(RotaryHeads, heads);
        var head = x.narrow(1, 0, k);                                              // (B, k, T, dh)
        var pairs = head.narrow(3, 0, RotaryDims).reshape(b, k, t, RotaryDims / 2, 2); // (B, k, T, d_rot/2, 2)
        var (x0, x1) = (pairs.select(-1, 0), pairs.select(-1, 1));                 // (B, k, T, d_rot/2)
        var turned = stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim: -1);    // (B, k, T, d_rot/2, 2)
        var rotated = cat([turned.flatten(-2), head.narrow(3, RotaryDims, dh - RotaryDims)], dim: 3); // (B, k, T, dh)
        return cat([rotated, x.narrow(1, k, heads - k)], dim: 1);                 // (B, H, T, dh)
    }
}
