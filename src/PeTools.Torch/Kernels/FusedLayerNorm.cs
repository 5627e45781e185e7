using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// LayerNorm over the last dim with affine weight and bias in run-time kernels (<c>layer_norm.cu</c>), beside its
/// oracle, libtorch's <c>layer_norm</c>: forward one warp per row; backward dx one warp per row, and the γ/β gradients as
/// per-chunk column sums that libtorch then adds, because libtorch's γ/β reduction was the largest single kernel of a
/// training step on an H200 (BENCHMARKS.md, "Where the GPU time goes"). Statistics in fp32 for fp32 and bf16 storage.
/// Once differentiable; the composite attention path (Hessians) turns it off with the other kernels.
/// </summary>
public static class FusedLayerNorm
{
    /// <summary>Rows each block of the γ/β kernel sums (more when that would exceed CUDA's 65,535 blocks in y).</summary>
    public const long RowsPerChunk = 64;

    private const int RowBlock = 256; // threads of the row kernels: 8 warps, 8 rows per block

    /// <summary>True when <paramref name="launcher"/> can normalise x (…, d) with this weight and bias.</summary>
    public static bool Fits(Tensor x, Tensor? weight, Tensor? bias, IKernelLauncher launcher)
    {
        if (weight is null || bias is null || x.dim() < 1) return false;
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || weight.dtype != x.dtype || bias.dtype != x.dtype) return false;
        if (launcher.IsCuda != (x.device.type == DeviceType.CUDA)) return false;
        if (!launcher.Has(KernelName.Of("layer_norm_bwd_gb", x.dtype))) return false;
        long d = x.shape[^1];
        return d > 0 && weight.numel() == d && bias.numel() == d && weight.is_contiguous() && bias.is_contiguous();
    }

    /// <summary>LayerNorm of x (…, d): libtorch's <c>layer_norm(x, [d], weight, bias, eps)</c>, differentiable once.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, double eps, IKernelLauncher launcher)
    {
        bool graph = is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias.requires_grad);
        if (!graph)
        {
            var (y, mean, rstd) = Forward(launcher, x.contiguous(), weight, bias, eps);
            mean.Dispose();
            rstd.Dispose();
            return y;
        }
        return LayerNormFunction.apply(x, weight, bias, new Settings(eps, launcher));
    }

    /// <summary>
    /// The module's LayerNorm of x: in the kernel when <paramref name="use"/> asks for it and its launcher can take it,
    /// else the module itself (the oracle).
    /// </summary>
    public static Tensor ApplyOrModule(TorchSharp.Modules.LayerNorm ln, Tensor x, KernelUse use)
    {
        if (use.LayerNorm && ln.normalized_shape.Length == 1 && use.LauncherFor(x.device) is { } k && Fits(x, ln.weight, ln.bias, k))
            return Apply(x, ln.weight!, ln.bias!, ln.eps, k);
        return ln.call(x);
    }

    /// <summary>y like x, and per-row mean and 1/σ (fp32, rows).</summary>
    private static (Tensor Y, Tensor Mean, Tensor Rstd) Forward(IKernelLauncher launcher, Tensor x, Tensor weight, Tensor bias, double eps)
    {
        long d = x.shape[^1], rows = x.numel() / d;
        var y = empty_like(x);
        var mean = empty(rows, dtype: ScalarType.Float32, device: x.device);
        var rstd = empty(rows, dtype: ScalarType.Float32, device: x.device);
        if (rows > 0)
            launcher.Launch(KernelName.Of("layer_norm_fwd", x.dtype), RowGrid(rows),
                [TensorPointer.Of(x), TensorPointer.Of(weight), TensorPointer.Of(bias), TensorPointer.Of(y),
                 TensorPointer.Of(mean), TensorPointer.Of(rstd), rows, d, BitConverter.DoubleToInt64Bits(eps)]);
        return (y, mean, rstd);
    }

    private static KernelGrid RowGrid(long rows) => new((uint)((rows + RowBlock / 32 - 1) / (RowBlock / 32)), 1, RowBlock);

    /// <summary>(dx, dγ, dβ) for upstream g like x.</summary>
    private static (Tensor Dx, Tensor DWeight, Tensor DBias) Backward(IKernelLauncher launcher, Tensor g, Saved s)
    {
        var x = s.X;
        long d = x.shape[^1], rows = x.numel() / d;
        var dx = empty_like(x);
        long perChunk = Math.Max(RowsPerChunk, (rows + 65534) / 65535);
        long chunks = Math.Max(1, (rows + perChunk - 1) / perChunk);
        // One (2, chunks, d) buffer for both partial sums, so one reduction and one cast finish both gradients: every
        // entry is written by the kernel (each block writes its chunk's row for its columns), so it needs no zeroing.
        var partial = empty([2, chunks, d], dtype: ScalarType.Float32, device: x.device);
        var (partialWeight, partialBias) = (partial[0], partial[1]);
        if (rows > 0)
        {
            launcher.Launch(KernelName.Of("layer_norm_bwd_dx", x.dtype), RowGrid(rows),
                [TensorPointer.Of(g), TensorPointer.Of(x), TensorPointer.Of(s.Weight), TensorPointer.Of(s.Mean),
                 TensorPointer.Of(s.Rstd), TensorPointer.Of(dx), rows, d]);
            uint threads = (uint)Math.Min(256, (d + 31) / 32 * 32);
            launcher.Launch(KernelName.Of("layer_norm_bwd_gb", x.dtype), new KernelGrid((uint)((d + threads - 1) / threads), (uint)chunks, threads),
                [TensorPointer.Of(g), TensorPointer.Of(x), TensorPointer.Of(s.Mean), TensorPointer.Of(s.Rstd),
                 TensorPointer.Of(partialWeight), TensorPointer.Of(partialBias), rows, d, perChunk]);
        }
        else partial.zero_();
        var sums = partial.sum([1L]);                                               // (2, d) fp32
        if (sums.dtype != s.Weight.dtype) sums = sums.to(s.Weight.dtype);
        return (dx, sums[0], sums[1]);
    }

    private sealed record Settings(double Eps, IKernelLauncher Launcher);

    /// <summary>What backward needs, owned here (detached from any dispose scope) and released by backward.</summary>
    private sealed record Saved(Tensor X, Tensor Weight, Tensor Mean, Tensor Rstd, IKernelLauncher Launcher) : IDisposable
    {
        public void Dispose()
        {
            X.Dispose();
            Weight.Dispose();
            Mean.Dispose();
            Rstd.Dispose();
        }
    }

    internal sealed class LayerNormFunction : SingleTensorFunction<LayerNormFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLayerNorm);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Settings)vars[3]);
            var xc = x.contiguous();
            var (y, mean, rstd) = Forward(settings.Launcher, xc, weight, bias, settings.Eps);
            ctx.save_data(nameof(Saved), new Saved(xc.alias().DetachFromDisposeScope(), weight.alias().DetachFromDisposeScope(),
                mean.DetachFromDisposeScope(), rstd.DetachFromDisposeScope(), settings.Launcher));
            return y;
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            Tensor dx, dWeight, dBias;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                var (a, b, c) = Backward(saved.Launcher, grad.contiguous(), saved);
                (dx, dWeight, dBias) = (a.DetachFromDisposeScope(), b.DetachFromDisposeScope(), c.DetachFromDisposeScope());
            }
            grad.Dispose();
            return [HandOff.Hand(dx), HandOff.Hand(dWeight), HandOff.Hand(dBias), null!]; // one slot per forward argument: the settings take none
        }
    }
}
