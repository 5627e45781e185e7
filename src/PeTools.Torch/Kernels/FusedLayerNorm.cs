using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// LayerNorm over the last dim with affine weight and bias in run-time kernels (<c>layer_norm.cu</c>), beside its
/// oracle, libtorch's <c>layer_norm</c>: forward one warp per row; backward dx one warp per row, and the γ/β gradients as
/// per-chunk column sums that a second kernel adds (<c>column_sum.cu</c>'s finishing kernel, <see cref="FusedLinear"/>'s,
/// γ and β in one launch), because libtorch's γ/β reduction was the largest single kernel of a training step on an H200
/// (BENCHMARKS.md, "Where the GPU time goes"); that kernel replaced libtorch's sum and cast of the partial sums, so
/// that it could add into .grad in place. Where a row is a whole number of 16-byte vectors
/// per lane and every pointer is 16-byte aligned, the forward holds the row in registers and moves it in 16-byte
/// accesses, and one backward kernel writes dx and the γ/β partial sums in one pass over g and x (the scalar kernels
/// ran at a third to a half of the memory bandwidth: <c>layer_norm.cu</c>). Statistics in fp32 for fp32 and bf16
/// storage. Once differentiable; the composite attention path (Hessians) turns it off with the other kernels. With
/// <see cref="KernelUse.AccumulateParameterGradients"/> the finishing kernel adds dγ and dβ straight into the
/// parameters' .grad (<see cref="GradientInPlace"/>).
/// </summary>
public static class FusedLayerNorm
{
    /// <summary>Rows each block of the γ/β kernel sums (more when that would exceed CUDA's 65,535 blocks in y).</summary>
    public const long RowsPerChunk = 64;

    private const int RowBlock = 256; // threads of the row kernels: 8 warps, 8 rows per block

    /// <summary>The forward that holds rows in registers and moves them in 16-byte accesses, one kernel per count V of
    /// 16-byte vectors per lane: <c>layer_norm_fwd16_vV_*</c> (else <c>layer_norm_fwd</c>).</summary>
    internal const string WideForwardStem = "layer_norm_fwd16";

    /// <summary>The backward that writes dx and the γ/β partial sums in one pass in 16-byte accesses, one kernel per V:
    /// <c>layer_norm_bwd16_vV_*</c> (else <c>layer_norm_bwd_dx</c> and <c>layer_norm_bwd_gb</c>).</summary>
    internal const string FusedBackwardStem = "layer_norm_bwd16";

    /// <summary>The most 16-byte vectors per lane the wide forward holds (d up to 1,024 bf16 or 512 fp32).</summary>
    private const long MaxForwardVectors = 4;

    /// <summary>The most the fused backward holds: its γ/β accumulators double its registers (d up to 512 bf16, 256 fp32).</summary>
    private const long MaxBackwardVectors = 2;

    /// <summary>
    /// Blocks of the 16-byte kernels, whose 8 warps stride over the rows: one per <see cref="RowsPerWideBlock"/> rows, at
    /// most <see cref="MaxWideBlocks"/> forward and <see cref="MaxFusedBlocks"/> backward (its partial sums are
    /// (2, blocks, d), which the finishing kernel then adds: 1 MB at the paper's d = 256). On an H200 at the paper's shape 512 blocks
    /// backward were 1 to 4 µs faster than 1,024 or 2,048; the forward's count hardly mattered from 1,024 to 4,096.
    /// </summary>
    private const long RowsPerWideBlock = 32, MaxWideBlocks = 2048, MaxFusedBlocks = 512;

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

    /// <summary>LayerNorm of x (…, d): libtorch's <c>layer_norm(x, [d], weight, bias, eps)</c>, differentiable once.
    /// <paramref name="inPlace"/>: backward adds γ's and β's gradients into their .grad where <see cref="GradientInPlace"/>
    /// allows.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, double eps, IKernelLauncher launcher, bool inPlace = false)
    {
        if (!AutogradRecording.Needed(x, weight, bias))
        {
            var (y, mean, rstd) = Forward(launcher, x.contiguous(), weight, bias, eps);
            mean.Dispose();
            rstd.Dispose();
            return y;
        }
        return LayerNormFunction.apply(x, weight, bias, new Settings(eps, launcher, inPlace));
    }

    /// <summary>
    /// LayerNorm of x (…, d) and x itself for the residual stream of a pre-LN block, (LN(x), x′ = x), differentiable once:
    /// backward adds x′'s gradient into dx inside the LayerNorm kernel (fp32, rounded once), where autograd would add the
    /// two uses' gradients of x in a kernel of its own (a 32 MB bf16 add per LayerNorm at the paper's batch). x′ is a
    /// view of x: it must not be modified in place. Without a graph, (LN(x), x).
    /// </summary>
    public static (Tensor Normed, Tensor Residual) ApplyWithResidual(Tensor x, Tensor weight, Tensor bias, double eps, IKernelLauncher launcher,
                                                                     bool inPlace = false)
    {
        if (!AutogradRecording.Needed(x, weight, bias)) return (Apply(x, weight, bias, eps, launcher), x);
        var outputs = LayerNormResidualFunction.apply(x, weight, bias, new Settings(eps, launcher, inPlace));
        return (outputs[0], outputs[1]);
    }

    /// <summary>
    /// The module's LayerNorm of x: in the kernel when <paramref name="use"/> asks for it and its launcher can take it,
    /// else the module itself (the oracle).
    /// </summary>
    public static Tensor ApplyOrModule(TorchSharp.Modules.LayerNorm ln, Tensor x, KernelUse use) =>
        LauncherIfFits(ln, x, use) is { } k ? Apply(x, ln.weight!, ln.bias!, ln.eps, k, use.AccumulateParameterGradients) : ln.call(x);

    /// <summary>
    /// (LN(x), x for the residual stream): with <see cref="KernelUse.ResidualGradientInNorm"/> where the kernel path fits,
    /// x passed on through the kernel, whose backward adds the stream's gradient into dx (<see cref="ApplyWithResidual"/>);
    /// else (<see cref="ApplyOrModule"/>, x), and autograd adds the two.
    /// </summary>
    public static (Tensor Normed, Tensor Stream) ApplyOrModuleWithResidual(TorchSharp.Modules.LayerNorm ln, Tensor x, KernelUse use) =>
        use.ResidualGradientInNorm && LauncherIfFits(ln, x, use) is { } k
            ? ApplyWithResidual(x, ln.weight!, ln.bias!, ln.eps, k, use.AccumulateParameterGradients)
            : (ApplyOrModule(ln, x, use), x);

    /// <summary>The launcher for x's device when <paramref name="use"/> asks for the LayerNorm kernel and the module fits it.</summary>
    private static IKernelLauncher? LauncherIfFits(TorchSharp.Modules.LayerNorm ln, Tensor x, KernelUse use) =>
        use.LayerNorm && ln.normalized_shape.Length == 1 && use.LauncherFor(x.device) is { } k && Fits(x, ln.weight, ln.bias, k) ? k : null;

    /// <summary>y like x, and per-row mean and 1/σ (fp32, rows).</summary>
    private static (Tensor Y, Tensor Mean, Tensor Rstd) Forward(IKernelLauncher launcher, Tensor x, Tensor weight, Tensor bias, double eps)
    {
        long d = x.shape[^1], rows = x.numel() / d;
        var y = empty_like(x);
        var mean = empty(rows, dtype: ScalarType.Float32, device: x.device);
        var rstd = empty(rows, dtype: ScalarType.Float32, device: x.device);
        var (kernel, grid) = WideKernel(WideForwardStem, MaxForwardVectors, x, launcher) is { } wide && Aligned16(x, weight, bias, y)
            ? (wide, WideGrid(rows, MaxWideBlocks))
            : (KernelName.Of("layer_norm_fwd", x.dtype), RowGrid(rows));
        if (rows > 0) // both forms take the same arguments
            launcher.Launch(kernel, grid,
                [TensorPointer.Of(x), TensorPointer.Of(weight), TensorPointer.Of(bias), TensorPointer.Of(y),
                 TensorPointer.Of(mean), TensorPointer.Of(rstd), rows, d, BitConverter.DoubleToInt64Bits(eps)]);
        return (y, mean, rstd);
    }

    private static KernelGrid RowGrid(long rows) => new((uint)((rows + RowBlock / 32 - 1) / (RowBlock / 32)), 1, RowBlock);

    /// <summary>Blocks of the 16-byte kernels for <paramref name="rows"/>, at most <paramref name="maxBlocks"/>.</summary>
    private static KernelGrid WideGrid(long rows, long maxBlocks) =>
        new((uint)Math.Clamp((rows + RowsPerWideBlock - 1) / RowsPerWideBlock, 1, maxBlocks), 1, RowBlock);

    /// <summary>
    /// The kernel of <paramref name="stem"/> for x's row: <c>STEM_vV_dtype</c>, where V = d / (32 · elements per 16 bytes)
    /// is whole and 1 to <paramref name="maxVectors"/> and the launcher has it; else null.
    /// </summary>
    private static string? WideKernel(string stem, long maxVectors, Tensor x, IKernelLauncher launcher)
    {
        long d = x.shape[^1], perWarp = 32 * (16 / x.element_size());
        if (d % perWarp != 0 || d / perWarp > maxVectors) return null;
        var name = KernelName.Of($"{stem}_v{d / perWarp}", x.dtype);
        return launcher.Has(name) ? name : null;
    }

    /// <summary>True when every tensor's first element is 16-byte aligned (rows of whole vectors then keep it so).</summary>
    private static bool Aligned16(params Tensor[] tensors) => tensors.All(t => TensorPointer.Of(t) % 16 == 0);

    /// <summary>(dx, dγ, dβ) for upstream g like x, dx plus <paramref name="addend"/> (like x, contiguous) where given;
    /// dγ or dβ null where it went into the parameter's .grad.</summary>
    private static (Tensor Dx, Tensor? DWeight, Tensor? DBias) Backward(IKernelLauncher launcher, Tensor g, Saved s, Tensor? addend = null)
    {
        var x = s.X;
        long d = x.shape[^1], rows = x.numel() / d;
        var dx = empty_like(x);
        var fused = WideKernel(FusedBackwardStem, MaxBackwardVectors, x, launcher) is { } k
                    && Aligned16([g, x, s.Weight, dx, .. addend is null ? (Tensor[])[] : [addend]]) ? k : null;
        long added = addend is null ? 0 : TensorPointer.Of(addend);
        var fusedGrid = WideGrid(rows, MaxFusedBlocks);
        long perChunk = Math.Max(RowsPerChunk, (rows + 65534) / 65535);
        long chunks = fused is not null ? fusedGrid.GridX : Math.Max(1, (rows + perChunk - 1) / perChunk);
        // One (2, chunks, d) buffer for both partial sums, so one kernel finishes both gradients: every entry is written
        // by the kernel (each block writes its chunk's row for its columns), so it needs no zeroing.
        var partial = empty([2, chunks, d], dtype: ScalarType.Float32, device: x.device);
        if (rows == 0) partial.zero_();
        else if (fused is not null) // chunk = block: the rows its warps stride over
            launcher.Launch(fused, fusedGrid,
                [TensorPointer.Of(g), TensorPointer.Of(x), TensorPointer.Of(s.Weight), TensorPointer.Of(s.Mean),
                 TensorPointer.Of(s.Rstd), TensorPointer.Of(dx), TensorPointer.Of(partial), added, rows, d]);
        else
        {
            launcher.Launch(KernelName.Of("layer_norm_bwd_dx", x.dtype), RowGrid(rows),
                [TensorPointer.Of(g), TensorPointer.Of(x), TensorPointer.Of(s.Weight), TensorPointer.Of(s.Mean),
                 TensorPointer.Of(s.Rstd), TensorPointer.Of(dx), added, rows, d]);
            uint threads = (uint)Math.Min(256, (d + 31) / 32 * 32);
            launcher.Launch(KernelName.Of("layer_norm_bwd_gb", x.dtype), new KernelGrid((uint)((d + threads - 1) / threads), (uint)chunks, threads),
                [TensorPointer.Of(g), TensorPointer.Of(x), TensorPointer.Of(s.Mean), TensorPointer.Of(s.Rstd),
                 TensorPointer.Of(partial[0]), TensorPointer.Of(partial[1]), rows, d, perChunk]);
        }
        if (!FusedLinear.CanFinish(launcher, x.dtype)) // column_sum.cu did not compile: libtorch's reduction and cast
        {
            var sums = partial.sum([1L]);                                           // (2, d) fp32
            if (sums.dtype != s.Weight.dtype) sums = sums.to(s.Weight.dtype);
            return (dx, sums[0], sums[1]);
        }
        // The same kernel with and without the in-place adds, so both give the same bits on a zeroed .grad.
        var (weightGrad, biasGrad) = (GradientInPlace.Target(s.WeightParameter), GradientInPlace.Target(s.BiasParameter));
        var dWeight = weightGrad is null ? empty([d], dtype: x.dtype, device: x.device) : null;
        var dBias = biasGrad is null ? empty([d], dtype: x.dtype, device: x.device) : null;
        FusedLinear.FinishColumnSums(launcher, partial, (weightGrad ?? dWeight!, weightGrad is not null), (biasGrad ?? dBias!, biasGrad is not null));
        return (dx, dWeight, dBias);
    }

    private sealed record Settings(double Eps, IKernelLauncher Launcher, bool InPlace);

    /// <summary>What backward needs, owned here (detached from any dispose scope) and released by backward; the
    /// parameters themselves (<see cref="GradientInPlace.Candidate"/>, null: return their gradients) are the caller's.</summary>
    private sealed record Saved(Tensor X, Tensor Weight, Tensor Mean, Tensor Rstd, IKernelLauncher Launcher, Tensor? WeightParameter,
                                Tensor? BiasParameter) : IDisposable
    {
        public void Dispose()
        {
            X.Dispose();
            Weight.Dispose();
            Mean.Dispose();
            Rstd.Dispose();
        }
    }

    /// <summary>The forward of both autograd functions: y = LN(x), and what backward needs saved in ctx.</summary>
    private static Tensor ForwardSaving(AutogradContext ctx, object[] vars)
    {
        var (x, weight, bias, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Settings)vars[3]);
        var xc = x.contiguous();
        var (y, mean, rstd) = Forward(settings.Launcher, xc, weight, bias, settings.Eps);
        // weight.alias() is another TensorImpl, whose .grad is not the parameter's: the .grad is read off vars[1].
        ctx.save_data(nameof(Saved), new Saved(xc.alias().DetachFromDisposeScope(), weight.alias().DetachFromDisposeScope(),
            mean.DetachFromDisposeScope(), rstd.DetachFromDisposeScope(), settings.Launcher,
            GradientInPlace.Candidate(weight, settings.InPlace), GradientInPlace.Candidate(bias, settings.InPlace)));
        return y;
    }

    /// <summary>The backward of both autograd functions: a gradient per forward argument (the settings take none),
    /// dx plus <paramref name="addend"/> where given.</summary>
    private static List<Tensor> BackwardFromSaved(AutogradContext ctx, Tensor grad, Tensor? addend, GradientHandOff handOff)
    {
        handOff.ReleasePrevious();
        using var saved = (Saved)ctx.get_data(nameof(Saved));
        Tensor dx;
        Tensor? dWeight, dBias; // null: added into the parameter's .grad, none for AccumulateGrad
        using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
        {
            var (a, b, c) = Backward(saved.Launcher, grad.contiguous(), saved, addend?.contiguous());
            (dx, dWeight, dBias) = (a.DetachFromDisposeScope(), b?.DetachFromDisposeScope(), c?.DetachFromDisposeScope());
        }
        return handOff.Slots(dx, dWeight, dBias, null); // the settings take no gradient
    }

    internal sealed class LayerNormFunction : SingleTensorFunction<LayerNormFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLayerNorm);

        public override Tensor forward(AutogradContext ctx, params object[] vars) => ForwardSaving(ctx, vars);

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            var gradients = BackwardFromSaved(ctx, grad, null, HandOff);
            grad.Dispose();
            return gradients;
        }
    }

    /// <summary>(LN(x), x′): x′ a view of x, whose gradient backward adds into dx in the kernel.</summary>
    internal sealed class LayerNormResidualFunction : MultiTensorFunction<LayerNormResidualFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLayerNorm) + "WithResidual";

        public override List<Tensor> forward(AutogradContext ctx, params object[] vars) => [ForwardSaving(ctx, vars), ((Tensor)vars[0]).alias()];

        public override List<Tensor> backward(AutogradContext ctx, List<Tensor> grads)
        {
            // An output no later op used has an undefined gradient (a handle-less tensor in TorchSharp).
            var residual = grads.Count > 1 && grads[1] is { } r && r.Handle != IntPtr.Zero ? r : null;
            var gradients = BackwardFromSaved(ctx, grads[0], residual, HandOff);
            foreach (var g in grads) g.Dispose();
            return gradients;
        }
    }
}
