using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// Which run-time kernels one model's layers use, and where they run. The model holds one and every block, attention
/// and rotary PE holds the same object, so one setting reaches every layer without a loop that could miss one.
/// </summary>
public sealed class KernelUse
{
    /// <summary>Rotary PEs' fast-path rotation in <see cref="FusedRotation"/> where it fits (true, the default);
    /// false: <see cref="Positional.RotationTables.Apply"/>, the oracle.</summary>
    public bool Rotation { get; set; } = true;

    /// <summary>Every LayerNorm in <see cref="FusedLayerNorm"/> where it fits; false: libtorch's, the oracle.</summary>
    public bool LayerNorm { get; set; }

    /// <summary>Every biased projection in <see cref="FusedLinear"/> (bias gradient by the column-sum kernel) where it
    /// fits; false: libtorch's linear, the oracle.</summary>
    public bool Linear { get; set; }

    /// <summary>
    /// <see cref="FusedLinear"/> and <see cref="FusedLayerNorm"/> add their parameters' gradients straight into the
    /// parameters' existing .grad and hand autograd none, so libtorch's AccumulateGrad launches no add kernel
    /// (<see cref="GradientInPlace"/> says where). Read at forward. Only for a plain backward() that accumulates into
    /// .grad: never where autograd.grad or create_graph differentiates the model (Hessians, the probes), which would get
    /// no gradient for those parameters and find .grad written. Training turns it on for the model that steps
    /// (<see cref="Training.TrainStep"/>), and <see cref="Training.Probes"/> turn it off while they differentiate; the
    /// composite attention path (Hessians) turns the kernels themselves off.
    /// </summary>
    public bool AccumulateParameterGradients { get; set; }

    /// <summary>A pre-LN block's LayerNorms pass their input on for the residual stream and add its gradient into their dx in
    /// the kernel (<see cref="FusedLayerNorm.ApplyWithResidual"/>), where they fit; false: autograd adds the two uses'
    /// gradients.</summary>
    public bool ResidualGradientInNorm { get; set; }

    /// <summary>A projection followed by ReLU (the reference FFN's input side) as one <see cref="FusedLinear.ApplyRelu"/>:
    /// the ReLU in the GEMM's epilogue, its backward fused with the bias's column sums; false: the projection, then
    /// libtorch's relu.</summary>
    public bool ReluInProjection { get; set; }

    /// <summary><see cref="FusedLinear"/>'s bias gradient summed by the 16-byte column-sum kernel where it fits (a row's
    /// width a multiple of 16 bytes, aligned); false: the kernel with a thread per column and 2- or 4-byte loads.</summary>
    public bool VectorColumnSums { get; set; }

    /// <summary>Every residual connection with dropout on its branch, in training, in <see cref="FusedResidualDropout"/>
    /// where it fits; false: libtorch's dropout and add, the oracle.</summary>
    public bool ResidualDropout { get; set; }

    /// <summary>Attention with an ALiBi bias (<see cref="Positional.PositionalEncoding.DistanceSlopes"/>) or with no PE bias,
    /// MLA's with its shared rotary logits as a mask that takes a gradient, in <see cref="FusedSmallAttention"/> where it
    /// fits, in any precision; false: scaled_dot_product_attention (with the bias as a tensor; MLA's over the
    /// concatenated halves), the oracle.</summary>
    public bool Attention { get; set; }

    /// <summary>The same, only where attention is computed in fp32: there libtorch has neither its flash nor its cuDNN
    /// kernel (bf16/fp16 only) and falls to the memory-efficient one.</summary>
    public bool AttentionFp32 { get; set; }

    /// <summary>Attention with a learned relative table (<see cref="Positional.PositionalEncoding.RelativeTable"/>) in
    /// <see cref="FusedSmallAttention"/> where it fits, in any precision, with the table's gradient from the kernel;
    /// false: the explicit product or scaled_dot_product_attention with the bias as a tensor.</summary>
    public bool RelativeAttention { get; set; }

    /// <summary>bf16 attention for 16-dim heads (no PE bias, ALiBi, the relative table) on the tensor cores
    /// (<see cref="FusedSmallAttention"/>'s <c>mma_attention.cu</c> kernels) where they fit; false: the other switches
    /// decide.</summary>
    public bool TensorCoreAttention { get; set; }

    /// <summary>The tensor-core kernels' own score loops for ALiBi alone and for the relative table alone (no mask), instead
    /// of the general bias (<see cref="FusedSmallAttention.Apply"/>'s biasKinds); false: the general one, the oracle.</summary>
    public bool AttentionBiasKinds { get; set; }

    /// <summary>Whether <see cref="FusedSmallAttention"/>'s scalar kernels are wanted for queries of this dtype, with or
    /// without a relative table (they may still not fit).</summary>
    public bool WantsAttentionKernel(ScalarType dtype, bool relativeTable) =>
        Attention || AttentionFp32 && dtype == ScalarType.Float32 || relativeTable && RelativeAttention;

    /// <summary>Whether the tensor-core kernels are wanted for queries of this dtype (they may still not fit).</summary>
    public bool WantsTensorCoreAttention(ScalarType dtype) => TensorCoreAttention && dtype == ScalarType.BFloat16;

    /// <summary>CUDA, a constant additive bias (no gradient: ALiBi, not a learned bias): scaled_dot_product_attention
    /// with libtorch's memory-efficient kernel switched off for the call (<see cref="Native.SdpBackends"/>), so that it
    /// may pick cuDNN's kernel; false: whatever libtorch picks.</summary>
    public bool BiasWithoutMemoryEfficient { get; set; }

    /// <summary>An additive bias that needs its gradient (a learned bias): the explicit matmul-softmax-matmul
    /// instead of scaled_dot_product_attention; false: scaled_dot_product_attention, the oracle.</summary>
    public bool LearnedBiasExplicit { get; set; }

    /// <summary>The same for an additive bias or mask without a gradient (ALiBi, a padding mask).</summary>
    public bool ConstantBiasExplicit { get; set; }

    /// <summary>A 3-D attention bias (H, T, S) passed to scaled_dot_product_attention as (1, H, T, S), which libtorch's
    /// cuDNN attention accepts (it refuses 3-D masks); false: as the PE made it, the oracle.</summary>
    public bool BiasAsFourDims { get; set; }

    /// <summary>Where the kernels run; null: the CUDA kernels of the input's device (none on CPU). Tests set the emulation.</summary>
    public IKernelLauncher? Launcher { get; set; }

    /// <summary>The launcher for tensors on <paramref name="device"/>, or null when there is none.</summary>
    public IKernelLauncher? LauncherFor(Device device) => Launcher ?? CudaKernels.For(device);
}
