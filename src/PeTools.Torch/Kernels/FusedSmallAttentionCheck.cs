using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedSmallAttention"/> against the composite softmax(scale·q·kᵀ − m_h·|i − j| + mask)·v (its oracle), in
/// fp32 from the same (possibly bf16-rounded) inputs, with the kernels' own dropout decisions
/// (<see cref="FusedSmallAttention.KeepMask"/>) where dropout is on: z and the gradients of q, k and v under a random
/// upstream gradient. Cases: ALiBi slopes alone; slopes with a key-padding mask (broadcast over queries) and ragged
/// lengths; dropout; the longest sequence the kernels take; no slopes (attention without a PE bias: NoPE, RoPE), padded; a causal and padding mask (B, 1, T, S), which the kernels
/// read per query; a learned relative table (the relative PE's, longer than the sequence) with padding and dropout,
/// whose gradient is compared too; MLA's shared rotary half with padding and dropout, its logits q_r·k_rᵀ one
/// (B, 1, T, S) mask that takes a gradient, against the composite over the concatenated 32-dim rows, the gradients of
/// q_r and k_r compared too; lengths
/// of whole 16-row tiles, with and without a bias (the tensor-core kernels' variants without bounds checks). q is a
/// transposed view and k, v slices of one wider tensor, as the model hands them. <c>pe-train check</c> runs it on CUDA, the tests on the CPU emulation.
/// </summary>
public static class FusedSmallAttentionCheck
{
    public sealed record Case(string Name, long Batch, long Heads, long Length, bool Padding, double Dropout, bool Slopes = true, bool Causal = false,
                              bool Relative = false, bool Rotary = false)
    {
        /// <summary>Whether the tensor-core kernels take this case (they return no mask gradient, which the rotary half needs).</summary>
        public bool TensorCores => !Rotary;

        /// <summary>Whether the tensor-core kernels' own score loops for ALiBi alone or the relative table alone take this
        /// case (<see cref="FusedSmallAttention.Apply"/>'s biasKinds): whole tiles, one of the two, no mask.</summary>
        public bool OwnBiasLoops => TensorCores && Length % 16 == 0 && !Padding && !Causal && Slopes != Relative;
    }

    public static IReadOnlyList<Case> Cases { get; } =
    [
        new("alibi", 2, 3, 37, false, 0),
        new("alibi-padded", 2, 2, 45, true, 0),
        new("alibi-dropout", 2, 2, 33, true, 0.25),
        new("longest", 1, 2, FusedSmallAttention.MaxLength, false, 0.1),
        new("no-bias-padded", 2, 2, 41, true, 0, Slopes: false),
        new("alibi-causal-padded", 2, 2, 39, true, 0.1, Causal: true),
        new("relative-padded-dropout", 2, 3, 35, true, 0.2, Slopes: false, Relative: true),
        new("mla-rotary-padded-dropout", 2, 3, 43, true, 0.15, Slopes: false, Rotary: true),
        // Whole 16-row tiles, which the tensor-core kernels run without per-score bounds checks and, with no slopes, mask
        // or table, without the bias term: the paper config's case (T = S = 128, no PE bias, dropout).
        new("whole-tiles-no-bias-dropout", 2, 2, 64, false, 0.1, Slopes: false),
        new("whole-tiles-no-bias", 1, 3, 32, false, 0, Slopes: false),
        new("whole-tiles-causal-padded-dropout", 2, 2, 48, true, 0.1, Causal: true),
        new("whole-tiles-relative-padded-dropout", 2, 2, 32, true, 0.2, Slopes: false, Relative: true),
        // The reference architecture's ALiBi and relative PE (no mask), which the tensor-core kernels' own bias loops take.
        new("whole-tiles-alibi-dropout", 2, 2, 64, false, 0.1),
        new("whole-tiles-relative-dropout", 2, 3, 48, false, 0.2, Slopes: false, Relative: true),
        // MLA's rotary logits at whole-tile lengths (no padding: a mask without a broadcast dim).
        new("mla-rotary-whole-tiles-dropout", 2, 3, 64, false, 0.1, Slopes: false, Rotary: true),
    ];

    /// <summary>The largest relative difference of z, dq, dk and dv: max |kernel − oracle| / max |oracle|, per tensor.
    /// tensorCores: the tensor-core kernels (bf16; +∞ where they do not fit).</summary>
    public static double Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Case c, bool tensorCores = false,
                                 bool biasKinds = false)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(79);
        long b = c.Batch, h = c.Heads, t = c.Length, dh = FusedSmallAttention.HeadDim;
        // q as (B, T, H, dh) transposed, k and v as slices of one (B, T, 2·H·dh) projection: the model's layouts.
        var q0 = randn([b, t, h, dh], generator: g).mul(1.5).to(dtype);
        var kv0 = randn([b, t, 2 * h * dh], generator: g).mul(1.5).to(dtype);
        var slopes = c.Slopes ? AlibiSlopes(h).to(device) : null;
        long tableLength = t + 6;                                                          // L > T: row L − 1 is offset 0
        var table0 = c.Relative ? randn([2 * tableLength - 1, h], generator: g).mul(0.7).to(dtype) : null;
        // MLA's rotary half: q_r (B, T, dh) as the model's (B, 1, T, dh) view, k_r a slice of a wider (B, S, 2·dh) tensor.
        var qr0 = c.Rotary ? randn([b, t, dh], generator: g).mul(1.5).to(dtype) : null;
        var kr0 = c.Rotary ? randn([b, t, 2 * dh], generator: g).mul(1.5).to(dtype) : null;
        Tensor? mask = null;
        if (c.Padding)
        {
            var lengths = tensor(Enumerable.Range(0, (int)b).Select(i => t - 7 * i - 3).ToArray(), dtype: int64);   // (B)
            var padded = arange(t, dtype: int64).unsqueeze(0).ge(lengths.unsqueeze(1)).view(b, 1, 1, t);            // (B, 1, 1, S)
            mask = zeros([b, 1, 1, t]).masked_fill(padded, double.NegativeInfinity).to(dtype).to(device);
        }
        if (c.Causal)
        {
            var future = ones([t, t], dtype: ScalarType.Bool).triu(1).view(1, 1, t, t);                                // (1, 1, T, S)
            var causal = zeros([1, 1, t, t]).masked_fill(future, double.NegativeInfinity);
            mask = (mask is null ? causal : causal + mask.to(ScalarType.Float32).cpu()).to(dtype).to(device).contiguous(); // (B|1, 1, T, S)
        }
        var seed = tensor(new long[] { 0x5eed_1234_abcdL }).to(device);
        var keep = c.Dropout > 0 ? FusedSmallAttention.KeepMask(0x5eed_1234_abcdL, b, h, t, t, c.Dropout).to(device) : null;
        var upstream = randn([b, h, t, dh], generator: g).to(device);
        Tensor[]? Run(bool kernel)
        {
            var qLeaf = q0.to(device).clone().requires_grad_();
            var kvLeaf = kv0.to(device).clone().requires_grad_();
            var q = qLeaf.transpose(1, 2);                                                                    // (B, H, T, dh)
            var k = kvLeaf.narrow(-1, 0, h * dh).view(b, t, h, dh).transpose(1, 2);
            var v = kvLeaf.narrow(-1, h * dh, h * dh).view(b, t, h, dh).transpose(1, 2);
            var tableLeaf = table0?.to(device).clone().requires_grad_();
            var qrLeaf = qr0?.to(device).clone().requires_grad_();
            var krLeaf = kr0?.to(device).clone().requires_grad_();
            // The rotary half as the model hands it: q_r (B, 1, T, dh), k_r (B, 1, S, dh) a slice of a wider tensor.
            var (qr, kr) = (qrLeaf?.unsqueeze(1), krLeaf?.narrow(-1, dh, dh).unsqueeze(1));
            Tensor z;
            if (kernel)
            {
                // The rotary logits q_r·k_rᵀ/√(2·dh), shared by the heads, join the mask and take its gradient.
                double? scale = qr is null ? null : 1.0 / Math.Sqrt(2 * dh);
                var logits = qr is null || kr is null ? null : FusedSmallAttention.RotaryLogits(qr, kr, scale!.Value, mask);
                var additive = logits?.Mask ?? mask;
                if (!FusedSmallAttention.Fits(q, k, v, slopes, tableLeaf, additive, launcher)) return null;
                if (tensorCores && (additive?.requires_grad == true || !FusedSmallAttention.FitsTensorCores(q, k, v, launcher))) return null;
                z = FusedSmallAttention.Apply(q, k, v, slopes, tableLeaf, additive, c.Dropout, launcher, seed, tensorCores, scale, logits?.Rows,
                                              biasKinds)
                    .to(ScalarType.Float32);
            }
            else
            {
                var (qf, kf, vf) = (q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32));
                var distance = arange(t, dtype: ScalarType.Float32, device: device).unsqueeze(1)
                    .sub(arange(t, dtype: ScalarType.Float32, device: device).unsqueeze(0)).abs();           // (T, S)
                if (qr is not null && kr is not null)                                      // q = [q; q_r], k = [k; k_r], 2·dh wide
                {
                    qf = cat([qf, qr.to(ScalarType.Float32).expand(b, h, t, dh)], -1);
                    kf = cat([kf, kr.to(ScalarType.Float32).expand(b, h, t, dh)], -1);
                }
                var scores = qf.matmul(kf.transpose(-2, -1)).div(Math.Sqrt(qf.shape[^1]));
                if (slopes is not null) scores = scores - slopes.view(-1, 1, 1) * distance;
                if (tableLeaf is not null)
                {
                    var offsets = arange(t, dtype: int64, device: device).unsqueeze(0)
                        .sub(arange(t, dtype: int64, device: device).unsqueeze(1)).add(tableLength - 1);    // (T, S): j − i + L − 1
                    scores = scores + tableLeaf.to(ScalarType.Float32).index_select(0, offsets.flatten()).view(t, t, h).permute(2, 0, 1);
                }
                if (mask is not null) scores = scores + mask.to(ScalarType.Float32);
                var p = F.softmax(scores, -1);
                if (keep is not null) p = p * keep.to(ScalarType.Float32) / (1 - c.Dropout);
                z = p.matmul(vf);
            }
            (z * upstream).sum().backward();
            var grads = new[] { z.detach(), qLeaf.grad!, kvLeaf.grad! }.Concat(new[] { tableLeaf, qrLeaf, krLeaf }
                .Where(l => l is not null).Select(l => l!.grad!));
            return [.. grads.Select(x => x.to(ScalarType.Float32).clone())];
        }
        var oracle = Run(kernel: false)!;
        if (Run(kernel: true) is not { } fused) return double.PositiveInfinity;
        // kvLeaf's gradient holds dk (first half) and dv (second half): compare them apart.
        var pairs = new List<(Tensor, Tensor)> { (fused[0], oracle[0]), (fused[1], oracle[1]) };
        foreach (var half in new[] { 0L, h * dh })
            pairs.Add((fused[2].narrow(-1, half, h * dh), oracle[2].narrow(-1, half, h * dh)));
        for (int i = 3; i < oracle.Length; i++) pairs.Add((fused[i], oracle[i]));          // the table's or the rotary half's gradients
        return pairs.Max(p => OracleDifference.Relative(p.Item1, p.Item2));
    }

    /// <summary>The reference's ALiBi slopes exp(−h/H) (fp32, (H)).</summary>
    private static Tensor AlibiSlopes(long heads) =>
        tensor(Enumerable.Range(0, (int)heads).Select(i => (float)Math.Exp(-(double)i / heads)).ToArray());

    /// <summary>
    /// Both sides compute in fp32 from the same inputs, so fp32 differs by summation order and the online softmax
    /// (≈ 1e-6); bf16 adds one rounding of each stored output (2^-8 relative). A wrong slope, mask, dropout bit or
    /// index is off by order 1.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 2e-2 : 1e-4;
}
