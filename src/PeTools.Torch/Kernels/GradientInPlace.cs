using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// When a custom autograd function may add a parameter's gradient straight into the parameter's existing .grad and hand
/// autograd none for it (<see cref="KernelUse.AccumulateParameterGradients"/>). libtorch's AccumulateGrad returns at once
/// for an undefined gradient, so the add kernel it would launch per parameter is saved
/// (<see cref="Training.FastPaths.ParameterGradientsInPlace"/>: bf16 adds, most of them AccumulateGrad's, were 0.45 ms
/// of a 10.7 ms bf16 step on an H200).
/// <para>Only where that is what AccumulateGrad itself would do: a leaf that requires grad, whose .grad is defined, of
/// the parameter's shape, dtype and device, and contiguous (training's .grad are views of one zeroed flat buffer,
/// <see cref="Training.FlatParameters"/>, or per-tensor gradients zeroed in place). AccumulateGrad then adds in place
/// too (grad mode is off in a backward without create_graph), so the sum is the same, rounded once instead of twice
/// (exactly the same when .grad holds zeros). Anything else (the first step, whose .grad are still undefined; a
/// non-leaf) gets its gradient returned as before. Never under autograd.grad or create_graph: the switch must be off
/// there (see the switch).</para>
/// </summary>
internal static class GradientInPlace
{
    /// <summary>
    /// At forward: <paramref name="parameter"/> (the very object the function was given: an alias of it is another
    /// TensorImpl with a .grad of its own) when <paramref name="inPlace"/> and it is a leaf that requires grad, else null.
    /// The memory projections' fused weight and bias (<see cref="Model.Transformer.FuseMemoryProjections"/>: the
    /// concatenation of every layer's) are not leaves: their gradients go back through the concatenation, as before.
    /// </summary>
    public static Tensor? Candidate(Tensor parameter, bool inPlace) =>
        inPlace && parameter.is_leaf && parameter.requires_grad ? parameter : null;

    /// <summary>
    /// At backward: the candidate's .grad where a gradient may be added into it (defined, of the parameter's shape,
    /// dtype and device, contiguous), else null. The wrapper belongs to the caller's dispose scope.
    /// </summary>
    public static Tensor? Target(Tensor? candidate)
    {
        if (candidate is null || candidate.IsInvalid) return null;
        var grad = candidate.grad;
        if (grad is null) return null;
        bool fits = grad.dtype == candidate.dtype && grad.device_type == candidate.device_type && grad.device_index == candidate.device_index &&
                    grad.shape.SequenceEqual(candidate.shape) && grad.is_contiguous();
        if (fits) return grad;
        grad.Dispose();
        return null;
    }
}
