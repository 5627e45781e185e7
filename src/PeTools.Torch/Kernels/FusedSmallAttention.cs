using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// softmax(scale·q·kᵀ − m_h·|i − j| + B_h[j − i] + mask)·v with dropout on the weights, for T, S ≤ 128 and 16-dim heads,
/// in run-time kernels (<c>small_attention.cu</c>) beside its oracle, the composite matmul-softmax-matmul with the same
/// bias. The ALiBi slopes m_h and the learned relative table B (the relative PE's, with its gradient) are each
/// optional; the mask may take a gradient (a logit bias shared by the heads: MLA's rotary logits). Why:
/// libtorch's scaled_dot_product_attention has no ALiBi form, and with the bias as an (H, T, S) tensor it ran 2.3× slower
/// than without one on an H200 (BENCHMARKS.md, "Where the GPU time goes"); here the bias is one multiply per logit.
/// Dropout bits come from a hash of a seed that libtorch draws on the device (no host synchronisation), so forward and
/// backward agree (the tensor-core backward reads the forward's decisions, <see cref="KeepBitWords"/>) and
/// <see cref="KeepMask"/> reproduces them for the oracle. Once differentiable; the composite
/// attention path (Hessians) turns it off with the other kernels.
/// </summary>
public static class FusedSmallAttention
{
    private const string ForwardStem = "small_attention_fwd_d16", BackwardStem = "small_attention_bwd_d16";

    /// <summary>The tensor-core kernels (<c>mma_attention.cu</c>, bf16 only): same arguments, same results.</summary>
    private const string TensorCoreForwardStem = "attention_mma_fwd", TensorCoreBackwardStem = "attention_mma_bwd";

    public const int HeadDim = 16;
    public const int MaxLength = 128;

    /// <summary>True when q (B, H, T, 16), k and v (B, H, S, 16), the slopes (H, fp32), the relative table (2·L − 1, H)
    /// in q's dtype with L ≥ T, S (row L − 1 is offset 0) and the additive mask (B|1, 1, T|1, S) can take this path on
    /// <paramref name="launcher"/>. A mask that requires grad gets its gradient from the scalar kernels (the sum over
    /// heads of dS, in fp32).</summary>
    public static bool Fits(Tensor q, Tensor k, Tensor v, Tensor? slopes, Tensor? relative, Tensor? mask, IKernelLauncher launcher)
    {
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) return false;
        if (q.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || k.dtype != q.dtype || v.dtype != q.dtype) return false;
        if (launcher.IsCuda != (q.device.type == DeviceType.CUDA) || !launcher.Has(KernelName.Of(BackwardStem, q.dtype))) return false;
        long b = q.shape[0], h = q.shape[1], t = q.shape[2], s = k.shape[2];
        if (q.shape[3] != HeadDim || k.shape[3] != HeadDim || v.shape[3] != HeadDim) return false;
        if (k.shape[0] != b || k.shape[1] != h || !v.shape.SequenceEqual(k.shape) || t < 1 || s < 1 || t > MaxLength || s > MaxLength) return false;
        if (q.stride(3) != 1 || k.stride(3) != 1 || v.stride(3) != 1) return false;
        if (relative is not null && (relative.dim() != 2 || relative.shape[1] != h || relative.dtype != q.dtype || !relative.is_contiguous()
                                     || relative.shape[0] % 2 != 1 || (relative.shape[0] + 1) / 2 < Math.Max(t, s)
                                     || !OnDeviceOf(relative, q))) return false;
        if (slopes is not null && (slopes.dtype != ScalarType.Float32 || slopes.numel() != h || !slopes.is_contiguous() || !OnDeviceOf(slopes, q))) return false;
        if (mask is not null && (mask.dtype != q.dtype || mask.dim() != 4 || mask.shape[1] != 1 || mask.shape[0] is not 1 && mask.shape[0] != b
                                 || mask.shape[2] is not 1 && mask.shape[2] != t || mask.shape[3] != s || !OnDeviceOf(mask, q))) return false;
        return true;
    }

    /// <summary>Whether the kernels represent dropout probability <paramref name="p"/>: their decisions are 16-bit
    /// (pe_pair_hash), so p up to 65,535 / 65,536; above that the composite runs.</summary>
    public static bool TakesDropout(double p) => p <= DropoutHash.MaxPairDropout;

    /// <summary>
    /// A logit bias shared by the heads, (B, 1, T, S), laid out as the scalar kernels read it fastest: Mask with its
    /// query dim contiguous (the forward and the backward's query pass read it by query rows, a warp's threads 32 rows
    /// apart), the differentiable one; Rows the same logits row-major for the key pass, without a gradient (a product of
    /// their own, so equal up to its summation order).
    /// </summary>
    public sealed record SharedLogits(Tensor Mask, Tensor Rows);

    /// <summary>
    /// MLA's rotary logits scale·q_r·k_rᵀ (+ the padding mask) for q_r (B, 1, T, dh) and k_r (B, 1, S, dh), one pair for
    /// every head (<see cref="Model.DecoupledRopeAttention"/>), as <see cref="SharedLogits"/>: two small products, each
    /// (B, T, S), instead of (B, H, T|S, 2·dh) concatenations.
    /// </summary>
    public static SharedLogits RotaryLogits(Tensor queries, Tensor keys, double scale, Tensor? mask)
    {
        var scaled = queries.mul(scale);
        var byKeys = keys.matmul(scaled.transpose(-2, -1));                                   // (B, 1, S, T)
        if (mask is not null) byKeys = byKeys + mask.transpose(-2, -1);
        var differentiable = byKeys.transpose(-2, -1);                                        // (B, 1, T, S), query dim contiguous
        using var _ = no_grad();
        var rows = scaled.matmul(keys.transpose(-2, -1));                                     // (B, 1, T, S)
        return new(differentiable, mask is null ? rows : rows + mask);
    }

    /// <summary>True when the call also fits the tensor-core kernels: bf16, and every row of q, k and v 16-byte aligned
    /// (their b, h and t strides multiples of 8 elements, their first elements 16-byte aligned), as the model's
    /// projections, slices of the fused K/V projection and rotated q, k leave them.</summary>
    public static bool FitsTensorCores(Tensor q, Tensor k, Tensor v, IKernelLauncher launcher)
    {
        if (q.dtype != ScalarType.BFloat16 || !launcher.Has(KernelName.Of(TensorCoreBackwardStem, q.dtype))) return false;
        return new[] { q, k, v }.All(t => TensorPointer.Of(t) % 16 == 0 && t.stride(0) % 8 == 0 && t.stride(1) % 8 == 0 && t.stride(2) % 8 == 0);
    }

    /// <summary>
    /// z (B, H, T, 16) (a view of a contiguous (B, T, H, 16)), differentiable once in q, k and v. seed: the dropout seed,
    /// an int64 (1) on q's device; null draws one there from libtorch's generator (no host synchronisation).
    /// tensorCores: the tensor-core kernels, where <see cref="FitsTensorCores"/> and the mask takes no gradient (else the
    /// scalar ones). scale: the logits' factor on q·k, positive (the tensor-core forward takes the softmax's max over
    /// q·k before scaling), 1/√16 unless given (MLA: 1/√32, its rotary half in the mask).
    /// maskRows: the mask's values row-major (<see cref="SharedLogits"/>), read by the scalar backward's key pass.
    /// biasKinds: the tensor-core kernels compute ALiBi's bias alone, or the relative table's alone, in score loops of
    /// their own where a call has one of them and no mask (<c>pe_mma_bias_kind</c>), instead of the general bias with
    /// its per-score tests of every term (the same values).
    /// </summary>
    public static Tensor Apply(Tensor q, Tensor k, Tensor v, Tensor? slopes, Tensor? relative, Tensor? mask, double dropout,
                               IKernelLauncher launcher, Tensor? seed = null, bool tensorCores = false, double? scale = null,
                               Tensor? maskRows = null, bool biasKinds = false)
    {
        if (maskRows is not null && (mask is null || !maskRows.shape.SequenceEqual(mask.shape) || !maskRows.is_contiguous()
                                     || maskRows.dtype != mask.dtype || !OnDeviceOf(maskRows, mask)))
            throw new ArgumentException("maskRows: the mask's shape, dtype and device, contiguous", nameof(maskRows));
        if (scale is <= 0 or double.NaN) throw new ArgumentOutOfRangeException(nameof(scale), scale, "a positive factor on q·k");
        seed ??= dropout > 0 ? randint(0, long.MaxValue, [1], dtype: int64, device: q.device) : null;
        bool graph = AutogradRecording.Needed(q, k, v, relative, mask);
        bool maskGradient = graph && mask?.requires_grad == true;
        var settings = new Settings(slopes, mask, seed, dropout, scale ?? 1.0 / Math.Sqrt(HeadDim), launcher,
            !maskGradient && tensorCores && FitsTensorCores(q, k, v, launcher), maskRows, biasKinds);
        if (!graph)
        {
            var (z, lse, _) = Forward(q, k, v, relative, settings, keepBits: false);
            lse.Dispose();
            return z.transpose(1, 2);
        }
        return AttentionFunction.apply(q, k, v, relative, maskGradient ? mask : null, settings).transpose(1, 2); // (B, H, T, 16)
    }

    /// <summary>
    /// The kernels' dropout decisions for a call with this seed, as a (B, H, T, S) bool tensor (true: kept), computed
    /// here the way the kernels compute them: the oracle for a check with dropout on.
    /// </summary>
    public static Tensor KeepMask(long seed, long b, long h, long t, long s, double dropout)
    {
        uint threshold = DropoutHash.PairThreshold(dropout);
        var keep = new bool[b * h * t * s];
        for (long bh = 0; bh < b * h; bh++)
        {
            uint key = DropoutHash.BlockKey(seed, (ulong)bh);
            for (long e = 0; e < t * s; e++) keep[bh * t * s + e] = DropoutHash.KeepPair(key, (int)(e / s), (int)(e % s), threshold);
        }
        return tensor(keep).view(b, h, t, s);
    }

    /// <summary>What one call uses besides q, k, v: no gradient flows to these.</summary>
    internal sealed record Settings(Tensor? Slopes, Tensor? Mask, Tensor? Seed, double Dropout, double Scale, IKernelLauncher Launcher,
                                    bool TensorCores = false, Tensor? MaskRows = null, bool BiasKinds = false);

    private static long[] Shape(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        long mb = 0, mt = 0, ms = 0;
        if (mask is not null)
        {
            mb = mask.shape[0] == 1 ? 0 : mask.stride(0);
            mt = mask.shape[2] == 1 ? 0 : mask.stride(2);
            ms = mask.stride(3);
        }
        return [q.shape[2], k.shape[2], q.shape[1], q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2),
                v.stride(0), v.stride(1), v.stride(2), mb, mt, ms];
    }

    private static bool OnDeviceOf(Tensor t, Tensor like) => t.device_type == like.device_type && t.device_index == like.device_index;

    private static long Pointer(Tensor? t) => t is null ? 0 : TensorPointer.Of(t);

    /// <summary>The relative table's row of offset 0 (0 without a table).</summary>
    private static long RelativeZero(Tensor? relative) => relative is null ? 0 : (relative.shape[0] - 1) / 2;

    /// <summary>One block per (batch, head): scalar kernels a thread per row; tensor-core kernels a warp per 16 rows.</summary>
    private static KernelGrid Grid(Tensor q, Tensor k, bool tensorCores)
    {
        long rows = Math.Max(q.shape[2], k.shape[2]);
        long threads = tensorCores ? 32 * ((rows + 15) / 16) : (rows + 31) / 32 * 32;
        return new KernelGrid((uint)(q.shape[0] * q.shape[1]), 1, (uint)threads);
    }

    /// <summary>z (B, T, H, 16) contiguous, the log2 softmax denominators (B, H, T) fp32, and (tensor cores, dropout,
    /// <paramref name="keepBits"/>: a backward will follow) the forward's dropout decisions for the backward to read.</summary>
    private static (Tensor Z, Tensor Lse, Tensor? KeepBits) Forward(Tensor q, Tensor k, Tensor v, Tensor? relative, Settings s,
                                                                    bool keepBits)
    {
        long b = q.shape[0], h = q.shape[1], t = q.shape[2];
        var z = empty([b, t, h, HeadDim], dtype: q.dtype, device: q.device);
        var lse = empty([b, h, t], dtype: ScalarType.Float32, device: q.device);
        var bits = s.TensorCores && keepBits && s.Dropout > 0 ? empty([KeepBitWords(b, h, t, k.shape[2])], dtype: int32, device: q.device) : null;
        long[] args = [TensorPointer.Of(q), TensorPointer.Of(k), TensorPointer.Of(v), Pointer(s.Slopes), Pointer(s.Mask), Pointer(relative),
                       Pointer(s.Seed), TensorPointer.Of(z), TensorPointer.Of(lse), .. Shape(q, k, v, s.Mask), RelativeZero(relative),
                       BitConverter.DoubleToInt64Bits(s.Scale), BitConverter.DoubleToInt64Bits(s.Dropout),
                       .. s.TensorCores ? (long[])[Pointer(bits), s.BiasKinds ? 1 : 0] : []];
        var stem = s.TensorCores ? TensorCoreForwardStem : ForwardStem;
        s.Launcher.Launch(KernelName.Of(stem, q.dtype), Grid(q, k, s.TensorCores), args);
        return (z, lse, bits);
    }

    /// <summary>32-bit words of the tensor-core forward's dropout decisions (<c>pe_mma_keep_word</c>): a bit per score, a
    /// word per lane of the warp of each query block of 16 rows for each 64 keys (⌈⌈S / 16⌉ / 4⌉ words) of each (batch,
    /// head) block; 16.8 MB a layer at the paper's sizes. The backward reads them instead of hashing again.</summary>
    public static long KeepBitWords(long b, long h, long t, long s) => b * h * ((t + 15) / 16) * (((s + 15) / 16 + 3) / 4) * 32;

    /// <summary>What backward needs, owned here (detached from any dispose scope) and released by backward.</summary>
    private sealed record Saved(Tensor Q, Tensor K, Tensor V, Tensor? Relative, bool MaskGradient, Tensor Z, Tensor Lse,
                                Tensor? KeepBits, Settings Settings) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in new[] { Q, K, V, Relative, Z, Lse, KeepBits, Settings.Slopes, Settings.Mask, Settings.MaskRows, Settings.Seed })
                t?.Dispose();
        }
    }

    internal sealed class AttentionFunction : SingleTensorFunction<AttentionFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedSmallAttention);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (q, k, v, relative, gradientMask) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor?)vars[3], (Tensor?)vars[4]);
            var settings = (Settings)vars[5];
            var (z, lse, keepBits) = Forward(q, k, v, relative, settings, keepBits: true);
            static Tensor? Own(Tensor? t) => t?.alias().DetachFromDisposeScope();
            var owned = settings with
            {
                Slopes = Own(settings.Slopes),
                Mask = Own(settings.Mask),
                MaskRows = Own(settings.MaskRows),
                Seed = Own(settings.Seed),
            };
            ctx.save_data(nameof(Saved), new Saved(Own(q)!, Own(k)!, Own(v)!, Own(relative), gradientMask is not null, Own(z)!,
                lse.DetachFromDisposeScope(), keepBits?.DetachFromDisposeScope(), owned));
            return z;                                                                          // (B, T, H, 16)
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            var (q, k, v, relative, s) = (saved.Q, saved.K, saved.V, saved.Relative, saved.Settings);
            Tensor dq, dk, dv;
            Tensor? dRelative = null, dMask = null;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                var dz = grad.contiguous();                                                    // (B, T, H, 16)
                long b = q.shape[0], h = q.shape[1], t = q.shape[2], length = k.shape[2];
                var dqOut = empty([b, t, h, HeadDim], dtype: q.dtype, device: q.device);
                var dkOut = empty([b, length, h, HeadDim], dtype: q.dtype, device: q.device);
                var dvOut = empty([b, length, h, HeadDim], dtype: q.dtype, device: q.device);
                // The table's gradient: fp32 sums over every (batch, head) block, added atomically (order varies).
                var dRelativeOut = relative is null ? null : zeros(relative.shape, dtype: ScalarType.Float32, device: q.device);
                // The mask's gradient (scalar kernels only): fp32, contiguous in its shape, the heads' dS added atomically.
                var dMaskOut = saved.MaskGradient ? zeros(s.Mask!.shape, dtype: ScalarType.Float32, device: q.device) : null;
                long[] args = [TensorPointer.Of(q), TensorPointer.Of(k), TensorPointer.Of(v), Pointer(s.Slopes), Pointer(s.Mask), Pointer(relative),
                               Pointer(s.Seed), TensorPointer.Of(saved.Z), TensorPointer.Of(dz), TensorPointer.Of(saved.Lse),
                               TensorPointer.Of(dqOut), TensorPointer.Of(dkOut), TensorPointer.Of(dvOut), Pointer(dRelativeOut),
                               .. Shape(q, k, v, s.Mask), RelativeZero(relative),
                               BitConverter.DoubleToInt64Bits(s.Scale), BitConverter.DoubleToInt64Bits(s.Dropout),
                               .. s.TensorCores ? (long[])[Pointer(saved.KeepBits), s.BiasKinds ? 1 : 0] : [Pointer(dMaskOut), Pointer(s.MaskRows)]];
                if (s.TensorCores && s.Dropout > 0 && saved.KeepBits is null) // the kernel would read through a null pointer
                    throw new InvalidOperationException("the tensor-core attention backward needs its forward's dropout bits");
                var stem = s.TensorCores ? TensorCoreBackwardStem : BackwardStem;
                s.Launcher.Launch(KernelName.Of(stem, q.dtype), Grid(q, k, s.TensorCores), args);
                dMask = dMaskOut?.to(s.Mask!.dtype).DetachFromDisposeScope();                     // (B|1, 1, T|1, S)
                dRelative = dRelativeOut?.to(relative!.dtype).DetachFromDisposeScope();              // (2·L − 1, H)
                dq = dqOut.transpose(1, 2).DetachFromDisposeScope();                           // (B, H, T, 16)
                dk = dkOut.transpose(1, 2).DetachFromDisposeScope();                           // (B, H, S, 16)
                dv = dvOut.transpose(1, 2).DetachFromDisposeScope();
            }
            grad.Dispose();
            // The table's and the mask's are null without them, the settings take none.
            return HandOff.Slots(dq, dk, dv, dRelative, dMask, null);
        }
    }
}
