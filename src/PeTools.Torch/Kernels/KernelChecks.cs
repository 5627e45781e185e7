using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>One comparison of a run-time kernel with its oracle that <c>pe-train check</c> runs in each dtype (bf16 only
/// where <see cref="Bf16Only"/>): the worst relative difference and a note, for a launcher and a dtype.</summary>
public sealed record KernelCheck(string Check, string Case, Func<IKernelLauncher, ScalarType, (double Difference, string Note)> Compare,
                                 Func<ScalarType, double> Tolerance, bool Bf16Only);

/// <summary>
/// Every kernel-by-kernel check (<see cref="FusedLayerNormCheck"/>, <see cref="FusedLinearCheck"/>,
/// <see cref="FusedSmallAttentionCheck"/>, <see cref="FusedResidualDropoutCheck"/>, <see cref="FusedRotationCheck"/>),
/// registered in one place, in the order <c>pe-train check</c> prints them.
/// </summary>
public static class KernelChecks
{
    public static IReadOnlyList<KernelCheck> For(Device device)
    {
        var checks = new List<KernelCheck>();
        foreach (var shape in FusedLayerNormCheck.Shapes)
            checks.Add(new("ln-kernel", "layer-norm/" + shape.Name, (k, t) => (FusedLayerNormCheck.Compare(k, device, t, shape),
                "fused LayerNorm vs libtorch's layer_norm: worst of y, dx, dγ, dβ (relative to the oracle's max)"), FusedLayerNormCheck.Tolerance, false));
        foreach (var shape in FusedLayerNormCheck.Shapes)
            checks.Add(new("ln-residual", "layer-norm/" + shape.Name, (k, t) => (FusedLayerNormCheck.Compare(k, device, t, shape, withResidual: true),
                "the same with x passed on for the residual stream, its gradient added in the kernel (ResidualGradientInNorm)"), FusedLayerNormCheck.ResidualTolerance, false));
        foreach (var shape in FusedLinearCheck.Shapes)
            checks.Add(new("bias-kernel", "linear/" + shape.Name, (k, t) => (FusedLinearCheck.Compare(k, device, t, shape),
                "linear with the column-sum bias gradient vs libtorch's linear: worst of y, dx, dW, db (relative to the oracle's max)"), FusedLinearCheck.Tolerance, false));
        foreach (var shape in FusedLinearCheck.Shapes)
            checks.Add(new("bias-kernel-16B", "linear/" + shape.Name, (k, t) => (FusedLinearCheck.Compare(k, device, t, shape, vectorSums: true),
                "the same with the column sums by 16-byte loads where they fit (VectorColumnSums)"), FusedLinearCheck.Tolerance, false));
        foreach (var shape in FusedLinearCheck.Shapes)
            checks.Add(new("linear-relu", "linear/" + shape.Name, (k, t) => (FusedLinearCheck.Compare(k, device, t, shape, vectorSums: true, relu: true),
                "relu(linear) with the ReLU in the GEMM's epilogue and its backward in the bias kernel vs libtorch's linear then relu (ReluInProjection)"),
                FusedLinearCheck.Tolerance, false));
        foreach (var c in FusedSmallAttentionCheck.Cases)
            checks.Add(new("attn-kernel", "attention/" + c.Name, (k, t) => (FusedSmallAttentionCheck.Compare(k, device, t, c),
                "attention kernel vs the composite with the same bias, mask and dropout bits: worst of z, dq, dk, dv and the relative table's or rotary half's gradients (relative to the oracle's max)"),
                FusedSmallAttentionCheck.Tolerance, false));
        foreach (var c in FusedSmallAttentionCheck.Cases.Where(c => c.TensorCores))
            checks.Add(new("tc-attn-kernel", "attention/" + c.Name, (k, t) => (FusedSmallAttentionCheck.Compare(k, device, t, c, tensorCores: true),
                "tensor-core attention kernel vs the composite with the same bias, mask and dropout bits: worst of z, dq, dk, dv (relative to the oracle's max)"),
                FusedSmallAttentionCheck.Tolerance, true));
        foreach (var c in FusedSmallAttentionCheck.Cases.Where(c => c.OwnBiasLoops))
            checks.Add(new("tc-attn-bias-kinds", "attention/" + c.Name, (k, t) => (FusedSmallAttentionCheck.Compare(k, device, t, c, tensorCores: true, biasKinds: true),
                "tensor-core attention with its own ALiBi or relative-table loops (AttentionBiasKinds) vs the composite: worst of z, dq, dk, dv"), FusedSmallAttentionCheck.Tolerance, true));
        foreach (var c in FusedResidualDropoutCheck.Cases)
            checks.Add(new("residual-kernel", "residual-dropout/" + c.Name, (k, t) => (FusedResidualDropoutCheck.Compare(k, device, t, c),
                "x + dropout(y) kernel vs the composite with the same dropout bits: worst of out, dx, dy (relative to the oracle's max)"),
                FusedResidualDropoutCheck.Tolerance, false));
        foreach (var layout in FusedRotationCheck.Layouts)
            checks.Add(new("rope-kernel", "rotation/" + layout.Name, (k, t) =>
            {
                var (forward, gradient) = FusedRotationCheck.Compare(k, device, t, layout);
                return (Math.Max(forward, gradient),
                    $"fused rotation vs RotationTables.Apply: forward {forward:G3}, input gradient {gradient:G3} (relative to the oracle's max)");
            }, FusedRotationCheck.Tolerance, false));
        return checks;
    }
}
