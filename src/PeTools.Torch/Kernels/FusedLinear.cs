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
/// it off with the other kernels. With <see cref="KernelUse.AccumulateParameterGradients"/>, backward adds dW and db
/// straight into the parameters' .grad (<see cref="GradientInPlace"/>): dW by <c>addmm_</c>, the add inside the GEMM,
/// db in the finishing kernel.
/// </summary>
public static partial class FusedLinear
{
    private const string Stem = "column_sum_partial", VectorStem = "column_sum_partial16", FinishStem = "column_sum_finish";

    /// <summary>Rows each block of the column-sum kernel sums (more when that would exceed CUDA's 65,535 blocks in y).</summary>
    public const long RowsPerChunk = 64;

    /// <summary>Rows each block of the 16-byte column-sum kernel sums: 16 a warp, 4 unrolled loads in flight a thread.</summary>
    public const long VectorRowsPerChunk = 128;

    /// <summary>True when <paramref name="launcher"/> can take this projection of x (…, in).</summary>
    public static bool Fits(Tensor x, Tensor weight, Tensor? bias, IKernelLauncher launcher)
    {
        if (bias is null || weight.dim() != 2 || x.dim() < 1 || x.shape[^1] != weight.shape[1]) return false;
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || weight.dtype != x.dtype || bias.dtype != x.dtype) return false;
        if (launcher.IsCuda != (x.device.type == DeviceType.CUDA)) return false;
        return launcher.Has(KernelName.Of(Stem, x.dtype)) && bias.numel() == weight.shape[0];
    }

    /// <summary>linear(x, weight, bias) for x (…, in): libtorch's values, differentiable once. <paramref name="inPlace"/>:
    /// backward adds the weight's and bias's gradients into their .grad where <see cref="GradientInPlace"/> allows.
    /// <paramref name="vectorSums"/>: the bias gradient's partial sums by 16-byte loads where they fit
    /// (<see cref="ColumnSum"/>).</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, IKernelLauncher launcher, bool inPlace = false, bool vectorSums = false) =>
        AutogradRecording.Needed(x, weight, bias) ? LinearFunction.apply(x, weight, bias, new Settings(launcher, inPlace, vectorSums)) : BiasedProduct(x, weight, bias);

    /// <summary>x's shape with its last dim the weight's outputs: (…, out).</summary>
    private static long[] OutputShape(Tensor x, Tensor weight) => [.. x.shape[..^1], weight.shape[0]];

    /// <summary>x·Wᵀ + b for x (…, in) as one addmm over x's rows: the bias goes into cuBLASLt's epilogue (a 1-D
    /// contiguous bias, beta 1), where the C++ frontend's linear adds it in a kernel of its own.</summary>
    public static Tensor BiasedProduct(Tensor x, Tensor weight, Tensor bias)
    {
        return addmm(bias, x.reshape(-1, x.shape[^1]), weight.t(), 1, 1).view(OutputShape(x, weight)); // (…, out)
    }

    /// <summary>The projection of x with this weight and bias: on the kernel path when <paramref name="use"/> asks for it and
    /// it fits, else libtorch's linear (the oracle).</summary>
    public static Tensor ApplyOrLinear(Tensor x, Tensor weight, Tensor? bias, KernelUse use) =>
        TryApply(x, weight, bias, use) ?? F.linear(x, weight, bias);

    /// <summary>The module's projection of x, on the kernel path as <see cref="ApplyOrLinear"/>, else the module itself.</summary>
    public static Tensor ApplyOrModule(TorchSharp.Modules.Linear linear, Tensor x, KernelUse use) =>
        TryApply(x, linear.weight!, linear.bias, use) ?? linear.call(x);

    private static Tensor? TryApply(Tensor x, Tensor weight, Tensor? bias, KernelUse use) =>
        LauncherIfFits(x, weight, bias, use) is { } k ? Apply(x, weight, bias!, k, use.AccumulateParameterGradients, use.VectorColumnSums) : null;

    /// <summary>The launcher for x's device when <paramref name="use"/> asks for the kernel path and the projection fits it.</summary>
    private static IKernelLauncher? LauncherIfFits(Tensor x, Tensor weight, Tensor? bias, KernelUse use) =>
        use.Linear && bias is not null && use.LauncherFor(x.device) is { } k && Fits(x, weight, bias, k) ? k : null;

    /// <summary>Σ over rows of g (rows, d), contiguous: fp32 partial sums per chunk of rows, then their sum in g's dtype
    /// (rounded once), each in a kernel. <paramref name="vectorLoads"/>: the partial sums by 16-byte loads where
    /// <see cref="TakesVectorLoads"/> (else, and by default, 2- or 4-byte ones).</summary>
    public static Tensor ColumnSum(IKernelLauncher launcher, Tensor g, bool vectorLoads = false)
    {
        if (g.shape[0] == 0 || g.shape[1] == 0) return zeros([g.shape[1]], dtype: g.dtype, device: g.device);
        return FinishColumnSum(launcher, PartialColumnSums(launcher, g, vectorLoads), g.dtype);
    }

    /// <summary>Σ over rows of g (rows, d), contiguous, added into <paramref name="target"/> (d), contiguous, of g's dtype:
    /// target = round(target + Σ), rounded once. Needs <see cref="CanFinish"/>.</summary>
    public static void AddColumnSum(IKernelLauncher launcher, Tensor g, Tensor target, bool vectorLoads = false)
    {
        if (g.shape[0] == 0 || g.shape[1] == 0) return;
        using var partial = PartialColumnSums(launcher, g, vectorLoads);
        FinishColumnSums(launcher, partial, (target, true));
    }

    /// <summary>True when the 16-byte kernel can sum g (rows, d), contiguous: d a multiple of 16 bytes of its dtype and
    /// g's first element 16-byte aligned (so is every row then).</summary>
    public static bool TakesVectorLoads(IKernelLauncher launcher, Tensor g) =>
        g.shape[1] % (16 / g.ElementSize) == 0 && TensorPointer.Of(g) % 16 == 0 && launcher.Has(KernelName.Of(VectorStem, g.dtype));

    /// <summary>fp32 sums (chunks, d) of g's rows (rows, d) in chunks of <see cref="RowsPerChunk"/> (16-byte loads:
    /// <see cref="VectorRowsPerChunk"/>) or more; rows, d > 0.</summary>
    private static Tensor PartialColumnSums(IKernelLauncher launcher, Tensor g, bool vectorLoads)
    {
        long rows = g.shape[0], d = g.shape[1];
        if (vectorLoads && TakesVectorLoads(launcher, g)) return VectorPartialSums(launcher, KernelName.Of(VectorStem, g.dtype), g, TensorPointer.Of(g));
        long perChunk = Math.Max(RowsPerChunk, (rows + 65534) / 65535);
        long chunks = Math.Max(1, (rows + perChunk - 1) / perChunk);
        var partial = empty([chunks, d], dtype: ScalarType.Float32, device: g.device);
        uint threads = (uint)Math.Min(256, (d + 31) / 32 * 32);
        launcher.Launch(KernelName.Of(Stem, g.dtype), new KernelGrid((uint)((d + threads - 1) / threads), (uint)chunks, threads),
            [TensorPointer.Of(g), TensorPointer.Of(partial), rows, d, perChunk]);
        return partial;
    }

    /// <summary>
    /// fp32 partial sums (chunks, d) of g (rows, d), rows > 0, by a 16-byte kernel of <c>column_sum.cu</c>'s layout (grid
    /// (⌈d / (32·E)⌉, chunks) of 256 threads, chunks of <see cref="VectorRowsPerChunk"/> rows or more), launched with
    /// <paramref name="pointers"/> (the kernel's tensors before the partial buffer, g first), then the partial buffer, rows,
    /// d and rows per chunk.
    /// </summary>
    private static Tensor VectorPartialSums(IKernelLauncher launcher, string kernel, Tensor g, params long[] pointers)
    {
        long rows = g.shape[0], d = g.shape[1];
        long perChunk = Math.Max(VectorRowsPerChunk, (rows + 65534) / 65535), chunks = Math.Max(1, (rows + perChunk - 1) / perChunk);
        var partial = empty([chunks, d], dtype: ScalarType.Float32, device: g.device);
        long columnsPerBlock = 32 * (16 / g.ElementSize);
        launcher.Launch(kernel, new KernelGrid((uint)((d + columnsPerBlock - 1) / columnsPerBlock), (uint)chunks, 256),
            [.. pointers, TensorPointer.Of(partial), rows, d, perChunk]);
        return partial;
    }

    /// <summary>True when <paramref name="launcher"/> has the finishing kernel for <paramref name="dtype"/>.</summary>
    public static bool CanFinish(IKernelLauncher launcher, ScalarType dtype) => launcher.Has(KernelName.Of(FinishStem, dtype));

    /// <summary>Σ over the first dim of fp32 partial sums (chunks, d), contiguous, as a (d) tensor of
    /// <paramref name="dtype"/>: one kernel where the launcher has it, else libtorch's sum and cast.</summary>
    public static Tensor FinishColumnSum(IKernelLauncher launcher, Tensor partial, ScalarType dtype)
    {
        if (!CanFinish(launcher, dtype))
        {
            var sums = partial.sum([0L]);                                           // (d) fp32
            return sums.dtype == dtype ? sums : sums.to(dtype);
        }
        var output = empty([partial.shape[1]], dtype: dtype, device: partial.device);
        FinishColumnSums(launcher, partial, (output, false));
        return output;
    }

    /// <summary>
    /// Σ over the chunks of each plane of fp32 partial sums, (chunks, d) for one plane or (planes, chunks, d), contiguous,
    /// into <paramref name="outputs"/>[p] (d), contiguous, all of one dtype: written, or where Add, added to what it holds
    /// (round(out + Σ), rounded once). One launch for one or two planes (a LayerNorm's γ and β). Needs
    /// <see cref="CanFinish"/>.
    /// </summary>
    public static void FinishColumnSums(IKernelLauncher launcher, Tensor partial, params (Tensor Output, bool Add)[] outputs)
    {
        long planes = partial.dim() == 3 ? partial.shape[0] : 1, chunks = partial.shape[^2], d = partial.shape[^1];
        if (planes != outputs.Length || planes is < 1 or > 2)
            throw new ArgumentException($"{outputs.Length} outputs for {planes} planes (one or two)", nameof(outputs));
        var (first, last) = (outputs[0], outputs[^1]);
        long addMask = (first.Add ? 1 : 0) | (planes == 2 && last.Add ? 2 : 0);
        launcher.Launch(KernelName.Of(FinishStem, first.Output.dtype), new KernelGrid((uint)((d + 31) / 32), (uint)planes, 256),
            [TensorPointer.Of(partial), TensorPointer.Of(first.Output), TensorPointer.Of(last.Output), chunks, d, addMask]);
    }

    private sealed record Settings(IKernelLauncher Launcher, bool InPlace, bool VectorSums);

    /// <summary>What backward needs, owned here (detached from any dispose scope) and released by backward; the
    /// parameters themselves (<see cref="GradientInPlace.Candidate"/>, null: return their gradients) are the caller's.</summary>
    private sealed record Saved(Tensor X, Tensor Weight, IKernelLauncher Launcher, bool VectorSums, Tensor? WeightParameter, Tensor? BiasParameter,
                                Tensor? Output = null) : IDisposable
    {
        public void Dispose()
        {
            X.Dispose();
            Weight.Dispose();
            Output?.Dispose();
        }
    }

    /// <summary>What forward saves for backward: x, the weight, and (ReLU) the output a.</summary>
    private static Saved Save(Tensor x, Tensor weight, Tensor bias, Settings settings, Tensor? output = null) =>
        // weight.alias() is another TensorImpl, whose .grad is not the parameter's: the .grad is read off the argument.
        new(x.alias().DetachFromDisposeScope(), weight.alias().DetachFromDisposeScope(), settings.Launcher, settings.VectorSums,
            GradientInPlace.Candidate(weight, settings.InPlace), GradientInPlace.Candidate(bias, settings.InPlace),
            output?.alias().DetachFromDisposeScope());

    /// <summary>(dx, dW, db) from the gradient g (rows, out) of x·Wᵀ + b, contiguous; dW or db null where it went into the
    /// parameter's .grad. <paramref name="biasPartial"/>: db's fp32 partial sums (chunks, out) where a kernel already has
    /// them, else the column-sum kernel sums g.</summary>
    private static (Tensor Dx, Tensor? DWeight, Tensor? DBias) Gradients(Saved saved, Tensor g, Tensor? biasPartial)
    {
        Tensor? dWeight = null, dBias = null;
        var x = saved.X.reshape(-1, saved.Weight.shape[1]);                                   // (rows, in)
        var dx = g.mm(saved.Weight).view(saved.X.shape);                                      // (…, in)
        if (GradientInPlace.Target(saved.WeightParameter) is { } weightGrad)
            weightGrad.addmm_(g.t(), x);                                                      // (out, in) += gᵀ·x in the GEMM
        else
            dWeight = g.t().mm(x);                                                            // (out, in)
        var biasGrad = CanFinish(saved.Launcher, g.dtype) ? GradientInPlace.Target(saved.BiasParameter) : null;
        if (biasPartial is not null)
        {
            if (biasGrad is not null) FinishColumnSums(saved.Launcher, biasPartial, (biasGrad, true)); // (out) += Σ_rows g
            else dBias = FinishColumnSum(saved.Launcher, biasPartial, g.dtype);                        // (out)
        }
        else if (biasGrad is not null) AddColumnSum(saved.Launcher, g, biasGrad, saved.VectorSums);
        else dBias = ColumnSum(saved.Launcher, g, saved.VectorSums);
        return (dx, dWeight, dBias);
    }

    internal sealed class LinearFunction : SingleTensorFunction<LinearFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLinear);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Settings)vars[3]);
            ctx.save_data(nameof(Saved), Save(x, weight, bias, settings));
            return BiasedProduct(x, weight, bias);                                                // (…, out)
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            (Tensor Dx, Tensor? DWeight, Tensor? DBias) d;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                var (dx, dWeight, dBias) = Gradients(saved, grad.reshape(-1, saved.Weight.shape[0]).contiguous(), null);
                d = (dx.DetachFromDisposeScope(), dWeight?.DetachFromDisposeScope(), dBias?.DetachFromDisposeScope());
            }
            grad.Dispose();
            return HandOff.Slots(d.Dx, d.DWeight, d.DBias, null); // the settings take no gradient
        }
    }
}
