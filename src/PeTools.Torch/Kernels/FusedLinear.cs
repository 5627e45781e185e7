using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Kernels;

/// <summary>
/// y = x·Wᵀ + b beside its oracle, libtorch's <c>linear</c>: the forward as one <c>addmm</c> on x flattened to 2-D,
/// which cuBLASLt runs with the bias in the GEMM's epilogue, and the same GEMMs for dx = g·W and dW = gᵀ·x, but the
/// bias gradient Σ_rows g as per-chunk column sums in a run-time kernel (<c>column_sum.cu</c>) that a second one adds,
/// because libtorch's reduction over 65,536 rows took ten times the time of reading g once (BENCHMARKS.md, "Where the
/// GPU time goes"). Why addmm: TorchSharp's <c>linear</c> is libtorch's C++-frontend one, which for a 3-D x runs
/// <c>matmul</c> and then adds the bias as a separate broadcast kernel (25 of them were 1.85 ms of a 13.7 ms bf16 step
/// on an H200, examples/results/gpu/profile-h200). Once differentiable; the composite attention path (Hessians) turns
/// it off with the other kernels.
/// </summary>
public static class FusedLinear
{
    private const string Stem = "column_sum_partial", FinishStem = "column_sum_finish";

    /// <summary>Rows each block of the column-sum kernel sums (more when that would exceed CUDA's 65,535 blocks in y).</summary>
    public const long RowsPerChunk = 64;

    /// <summary>True when <paramref name="launcher"/> can take this projection of x (…, in).</summary>
    public static bool Fits(Tensor x, Tensor weight, Tensor? bias, IKernelLauncher launcher)
    {
        if (bias is null || weight.dim() != 2 || x.dim() < 1 || x.shape[^1] != weight.shape[1]) return false;
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || weight.dtype != x.dtype || bias.dtype != x.dtype) return false;
        if (launcher.IsCuda != (x.device.type == DeviceType.CUDA)) return false;
        return launcher.Has(KernelName.Of(Stem, x.dtype)) && bias.numel() == weight.shape[0];
    }

    /// <summary>linear(x, weight, bias) for x (…, in): libtorch's values, differentiable once.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, IKernelLauncher launcher)
    {
        bool graph = is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias.requires_grad);
        return graph ? LinearFunction.apply(x, weight, bias, launcher) : BiasedProduct(x, weight, bias);
    }

    /// <summary>x·Wᵀ + b for x (…, in) as one addmm over x's rows: the bias goes into cuBLASLt's epilogue (a 1-D
    /// contiguous bias, beta 1), where the C++ frontend's linear adds it in a kernel of its own.</summary>
    public static Tensor BiasedProduct(Tensor x, Tensor weight, Tensor bias)
    {
        long inputs = x.shape[^1], outputs = weight.shape[0];
        var shape = x.shape.ToArray();
        shape[^1] = outputs;
        return addmm(bias, x.reshape(-1, inputs), weight.t(), 1, 1).view(shape);                 // (…, out)
    }

    /// <summary>The projection of x with this weight and bias: on the kernel path when <paramref name="use"/> asks for it and
    /// it fits, else libtorch's linear (the oracle).</summary>
    public static Tensor ApplyOrLinear(Tensor x, Tensor weight, Tensor? bias, KernelUse use) =>
        TryApply(x, weight, bias, use) ?? F.linear(x, weight, bias);

    /// <summary>The module's projection of x, on the kernel path as <see cref="ApplyOrLinear"/>, else the module itself.</summary>
    public static Tensor ApplyOrModule(TorchSharp.Modules.Linear linear, Tensor x, KernelUse use) =>
        TryApply(x, linear.weight!, linear.bias, use) ?? linear.call(x);

    private static Tensor? TryApply(Tensor x, Tensor weight, Tensor? bias, KernelUse use) =>
        use.Linear && bias is not null && use.LauncherFor(x.device) is { } k && Fits(x, weight, bias, k) ? Apply(x, weight, bias, k) : null;

    /// <summary>Σ over rows of g (rows, d), contiguous: fp32 partial sums per chunk of rows, then their sum in g's dtype
    /// (rounded once), each in a kernel.</summary>
    public static Tensor ColumnSum(IKernelLauncher launcher, Tensor g)
    {
        long rows = g.shape[0], d = g.shape[1];
        long perChunk = Math.Max(RowsPerChunk, (rows + 65534) / 65535);
        long chunks = Math.Max(1, (rows + perChunk - 1) / perChunk);
        if (rows == 0 || d == 0) return zeros([d], dtype: g.dtype, device: g.device);
        var partial = empty([chunks, d], dtype: ScalarType.Float32, device: g.device);
        uint threads = (uint)Math.Min(256, (d + 31) / 32 * 32);
        launcher.Launch(KernelName.Of(Stem, g.dtype), new KernelGrid((uint)((d + threads - 1) / threads), (uint)chunks, threads),
            [TensorPointer.Of(g), TensorPointer.Of(partial), rows, d, perChunk]);
        return FinishColumnSum(launcher, partial, g.dtype);
    }

    /// <summary>Σ over the first dim of fp32 partial sums (chunks, d), contiguous, as a (d) tensor of
    /// <paramref name="dtype"/>: one kernel where the launcher has it, else libtorch's sum and cast.</summary>
    public static Tensor FinishColumnSum(IKernelLauncher launcher, Tensor partial, ScalarType dtype)
    {
        long chunks = partial.shape[0], d = partial.shape[1];
        if (!launcher.Has(KernelName.Of(FinishStem, dtype)))
        {
            var sums = partial.sum([0L]);                                           // (d) fp32
            return sums.dtype == dtype ? sums : sums.to(dtype);
        }
        var output = empty([d], dtype: dtype, device: partial.device);
        launcher.Launch(KernelName.Of(FinishStem, dtype), new KernelGrid((uint)((d + 31) / 32), 1, 256),
            [TensorPointer.Of(partial), TensorPointer.Of(output), chunks, d]);
        return output;
    }

    /// <summary>What backward needs, owned here (detached from any dispose scope) and released by backward.</summary>
    private sealed record Saved(Tensor X, Tensor Weight, IKernelLauncher Launcher) : IDisposable
    {
        public void Dispose()
        {
            X.Dispose();
            Weight.Dispose();
        }
    }

    internal sealed class LinearFunction : SingleTensorFunction<LinearFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLinear);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias, launcher) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (IKernelLauncher)vars[3]);
            ctx.save_data(nameof(Saved), new Saved(x.alias().DetachFromDisposeScope(), weight.alias().DetachFromDisposeScope(), launcher));
            return BiasedProduct(x, weight, bias);                                                // (…, out)
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            Tensor dx, dWeight, dBias;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                long outputs = saved.Weight.shape[0], inputs = saved.Weight.shape[1];
                var g = grad.reshape(-1, outputs).contiguous();                                    // (rows, out)
                var x = saved.X.reshape(-1, inputs);                                               // (rows, in)
                dx = g.mm(saved.Weight).view(saved.X.shape).DetachFromDisposeScope();              // (…, in)
                dWeight = g.t().mm(x).DetachFromDisposeScope();                                    // (out, in)
                dBias = ColumnSum(saved.Launcher, g).DetachFromDisposeScope();                     // (out)
            }
            grad.Dispose();
            return [HandOff.Hand(dx), HandOff.Hand(dWeight), HandOff.Hand(dBias), null!]; // one slot per forward argument: the launcher takes none
        }
    }
}
