using PeTools.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// relu(x·Wᵀ + b) as one differentiable projection (the reference architecture's FFN input side), beside its oracle,
/// libtorch's linear then relu. Forward: the ReLU in the GEMM's epilogue (<see cref="AddmmActivation"/>, libtorch's
/// _addmm_activation: cuBLASLt's bias and ReLU epilogue on CUDA) where bound, else addmm then relu_ in place; it saves
/// its output a. Backward: dh = g where a &gt; 0, else 0, and the bias's partial column sums in one pass over g and a
/// (<c>column_sum.cu</c>'s relu_grad_column_sum_partial16) where that kernel fits, else libtorch's where and the
/// column-sum kernel; then the projection's GEMMs as <see cref="LinearFunction"/>. Removes the FFN's ReLU forward and
/// backward kernels (0.20 and 0.27 ms of a 10.3 ms bf16 NoPE step on an H200) and one read of dh.
/// </summary>
public static partial class FusedLinear
{
    private const string ReluStem = "relu_grad_column_sum_partial16";

    /// <summary>relu(linear(x, weight, bias)) for x (…, in), differentiable once; the switches as <see cref="Apply"/>.</summary>
    public static Tensor ApplyRelu(Tensor x, Tensor weight, Tensor bias, IKernelLauncher launcher, bool inPlace = false, bool vectorSums = false) =>
        AutogradRecording.Needed(x, weight, bias) ? LinearReluFunction.apply(x, weight, bias, new Settings(launcher, inPlace, vectorSums)) : RectifiedProduct(x, weight, bias);

    /// <summary>The module's projection of x and a ReLU as one, where <paramref name="use"/> asks for it
    /// (<see cref="KernelUse.ReluInProjection"/>) and the projection fits the kernel path; else null.</summary>
    public static Tensor? TryApplyRelu(TorchSharp.Modules.Linear linear, Tensor x, KernelUse use) =>
        use.ReluInProjection && LauncherIfFits(x, linear.weight!, linear.bias, use) is { } k
            ? ApplyRelu(x, linear.weight!, linear.bias!, k, use.AccumulateParameterGradients, use.VectorColumnSums) : null;

    /// <summary>relu(x·Wᵀ + b) for x (…, in): the ReLU in the GEMM's epilogue where <see cref="AddmmActivation"/> is bound.</summary>
    public static Tensor RectifiedProduct(Tensor x, Tensor weight, Tensor bias)
    {
        var rows = x.reshape(-1, x.shape[^1]);                                                   // (rows, in)
        if (!AddmmActivation.Available) return addmm(bias, rows, weight.t(), 1, 1).relu_().view(OutputShape(x, weight));
        var output = empty([rows.shape[0], weight.shape[0]], dtype: x.dtype, device: x.device);
        AddmmActivation.ReluInto(output, bias, rows, weight.t());
        return output.view(OutputShape(x, weight));                                             // (…, out)
    }

    /// <summary>ReLU's backward from its output and the bias's partial sums, in one kernel where it fits: (dh, partial
    /// (chunks, out) fp32), or (dh, null) by libtorch's where.</summary>
    private static (Tensor Dh, Tensor? Partial) RectifiedGradient(IKernelLauncher launcher, Tensor g, Tensor a)
    {
        var kernel = KernelName.Of(ReluStem, g.dtype);
        if (g.shape[0] == 0 || !launcher.Has(kernel) || !TakesVectorLoads(launcher, g) || TensorPointer.Of(a) % 16 != 0 || !CanFinish(launcher, g.dtype))
            return (where(a.gt(0), g, zeros_like(g)), null);
        var dh = empty_like(g);
        return (dh, VectorPartialSums(launcher, kernel, g, TensorPointer.Of(g), TensorPointer.Of(a), TensorPointer.Of(dh)));
    }

    internal sealed class LinearReluFunction : SingleTensorFunction<LinearReluFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedLinear) + "Relu";

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (x, weight, bias, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Settings)vars[3]);
            var output = RectifiedProduct(x, weight, bias);                                       // (…, out)
            ctx.save_data(nameof(Saved), Save(x, weight, bias, settings, output));
            return output;
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            (Tensor Dx, Tensor? DWeight, Tensor? DBias) d;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                long outputs = saved.Weight.shape[0];
                var (dh, partial) = RectifiedGradient(saved.Launcher, grad.reshape(-1, outputs).contiguous(),
                    saved.Output!.reshape(-1, outputs).contiguous());                              // (rows, out)
                var (dx, dWeight, dBias) = Gradients(saved, dh, partial);
                d = (dx.DetachFromDisposeScope(), dWeight?.DetachFromDisposeScope(), dBias?.DetachFromDisposeScope());
            }
            grad.Dispose();
            return HandOff.Slots(d.Dx, d.DWeight, d.DBias, null); // the settings take no gradient
        }
    }
}
