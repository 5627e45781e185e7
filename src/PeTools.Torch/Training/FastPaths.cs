namespace PeTools.Torch.Training;

/// <summary>
/// The fast paths of a training step, each beside the slow composite it replaces, which stays as its oracle (STYLE.md
/// §14): tests compare the two on CPU, <c>pe-train check</c> on any device, and <c>pe-train bench --fast-paths</c>
/// times them apart. Training uses <see cref="Default"/>; none of them changes what is computed beyond float
/// rounding, so none is part of a run's config.
/// </summary>
[Flags]
public enum FastPaths
{
    /// <summary>Every oracle: per-tensor AdamW, per-tensor bf16 copies, per-layer projections.</summary>
    None = 0,

    /// <summary>Parameters and gradients in flat buffers (<see cref="FlatParameters"/>), <see cref="FlatAdamW"/>,
    /// one-kernel bf16 copies, clipping by one norm of the flat gradient.</summary>
    Flat = 1,

    /// <summary>Reference architecture: every layer's K/V-side projections of the layer-0 embeddings as one GEMM
    /// (<see cref="Model.Transformer.FuseMemoryProjections"/>).</summary>
    FusedMemoryProjections = 2,

    /// <summary>Rotary PEs: x·C + swap(x)·S with tables cached per length (<see cref="Positional.RotationTables"/>)
    /// instead of the composite of pairs (<see cref="Model.Transformer.FastRotation"/>).</summary>
    FastRope = 4,

    /// <summary>Rotary PEs on CUDA: the fast rotation in one run-time kernel per direction (<see cref="Kernels.FusedRotation"/>,
    /// NVRTC) instead of the tables' three forward and four backward (<see cref="Model.Transformer.RotateInKernel"/>).
    /// Needs <see cref="FastRope"/>; without a CUDA device or NVRTC it changes nothing.</summary>
    RopeKernel = 8,

    /// <summary>Every LayerNorm on CUDA in run-time kernels (<see cref="Kernels.FusedLayerNorm"/>, NVRTC) instead of
    /// libtorch's, whose γ/β-gradient reduction was a step's largest kernel: 18.7 → 15.3 ms per bf16 NoPE step of the
    /// paper config on an H200 (BENCHMARKS.md).</summary>
    LayerNormKernel = 16,

    /// <summary>Every biased projection on CUDA with its bias gradient as column sums in a run-time kernel
    /// (<see cref="Kernels.FusedLinear"/>, NVRTC) instead of libtorch's reduction over all rows: about 1 ms of an 18.7 ms
    /// step on an H200.</summary>
    BiasKernel = 32,

    /// <summary>Attention on CUDA in a run-time kernel (<see cref="Kernels.FusedSmallAttention"/>, T, S ≤ 128, 16-dim heads)
    /// for ALiBi, with the bias computed inside, for the relative PE, with its table read inside, and for PEs without a
    /// logit bias, instead of scaled_dot_product_attention (with the bias as a tensor), in any precision. Not in
    /// <see cref="Default"/>: it is correct (checked on CUDA and the CPU emulation) but in bf16 measured SLOWER than
    /// libtorch's cuDNN kernel on an H200 (scalar FMAs, no tensor cores): ALiBi 25.2 against 15.4 ms per step, NoPE 25.3
    /// against 13.7; <c>--fast-paths attn-kernel</c> times it. In fp32 it is faster: <see cref="AttentionKernelFp32"/>.</summary>
    AttentionKernel = 64,

    /// <summary>CUDA: each batch shape's gradient computation (everything before the optimizer) captured once as a
    /// CUDA graph and replayed (<see cref="GraphedGradients"/>), so the host issues one call per step instead of
    /// ~1,000 kernel launches. Bit-identical to the eager step on an H200, dropout included (<c>pe-train check</c>
    /// graph-step, graph-dropout). At the paper's batch, bf16, in one run on an H200: NoPE 16.9 → 13.8 ms per step,
    /// RoPE 16.1 → 14.9, MLA 24.8 → 16.3, ALiBi and the relative bias 2% (BENCHMARKS.md). Needs <see cref="Flat"/>; without CUDA or libtorch's graph API it changes nothing.</summary>
    CudaGraph = 128,

    /// <summary>CUDA, a constant attention bias (ALiBi): scaled_dot_product_attention with libtorch's memory-efficient
    /// kernel (CUTLASS for sm80, what libtorch picks when there is a bias) switched off for the call, so that cuDNN's
    /// may run (<see cref="Kernels.KernelUse.BiasWithoutMemoryEfficient"/>). Not in <see cref="Default"/>:
    /// measured SLOWER on an H200 (ALiBi bf16 43.7 against 19.6 ms per step): the bias was 3-D then, which cuDNN refuses,
    /// so libtorch fell to its math path. <see cref="BiasAsFourDims"/> is what gets ALiBi onto cuDNN (15.4 ms); with it,
    /// this switch only matters where cuDNN still refuses (fp32), and there it sends the call to the math path too;
    /// <c>--fast-paths cudnn-bias</c> times it.</summary>
    CudnnBiasAttention = 256,

    /// <summary>A learned attention bias (relative, T5, KERPLE: its gradient is needed): the explicit
    /// matmul-softmax-matmul, queries scaled before the product, instead of scaled_dot_product_attention, whose only
    /// kernel that returns a bias gradient is the memory-efficient one (<see cref="Kernels.KernelUse.LearnedBiasExplicit"/>).
    /// Measured on an H200 (bf16, paper config, relative PE): 45.3 → 24.1 ms per step; fp32 67.2 → 61.4 ms. In
    /// <see cref="Default"/>; <c>--fast-paths no-explicit-bias</c> times the step without it.</summary>
    LearnedBiasExplicit = 512,

    /// <summary>The same for an attention bias or mask without a gradient (ALiBi, a padding mask)
    /// (<see cref="Kernels.KernelUse.ConstantBiasExplicit"/>). Not in <see cref="Default"/>: measured SLOWER on an
    /// H200 for ALiBi (bf16 23.5 against 19.6 ms per step; fp32 60.1 against 58.6), where libtorch's memory-efficient
    /// kernel needs no bias gradient; <c>--fast-paths explicit-const</c> times it.</summary>
    ConstantBiasExplicit = 1024,

    /// <summary>An attention bias of shape (H, T, S) (ALiBi, a learned bias) handed to scaled_dot_product_attention as
    /// (1, H, T, S) (<see cref="Kernels.KernelUse.BiasAsFourDims"/>). Same values, same broadcast; but libtorch 2.11's
    /// cuDNN attention takes only 4-D masks, so a 3-D bias always went to the memory-efficient kernel. Probed on an
    /// H200 (PyTorch 2.11, bf16, B 512, H 16, T 128, dh 16, forward and backward of one layer): 1.25 ms with the 3-D
    /// bias, 0.89 ms with the 4-D one (cuDNN), 0.65 ms without a bias (bench/probe/probe_cudnn_bias.py).</summary>
    BiasAsFourDims = 2048,

    /// <summary><see cref="AttentionKernel"/> only where attention is computed in fp32 (<see cref="Kernels.KernelUse.AttentionFp32"/>):
    /// libtorch's flash and cuDNN attention take bf16/fp16 only, so in fp32 it runs the memory-efficient kernel, itself
    /// scalar. In <see cref="Default"/>: fp32 step at the paper config on an H200, same process (BENCHMARKS.md): NoPE
    /// 57.0 → 50.3 ms, ALiBi 58.4 → 50.3, RoPE 58.0 → 51.4, relative 61.5 → 51.3 (its table read in the kernel); MLA,
    /// its shared rotary logits a mask with a gradient, 56.0 → 50.5 (a later session).
    /// <c>--fast-paths no-attn-kernel-fp32</c> times the step without it.</summary>
    AttentionKernelFp32 = 4096,

    /// <summary>The relative PE's learned table read inside the attention kernel, which also returns its gradient
    /// (<see cref="Kernels.KernelUse.RelativeAttention"/>), in any precision, instead of the (H, T, S) bias through
    /// <see cref="LearnedBiasExplicit"/>'s explicit product. Not in <see cref="Default"/>: in bf16 measured SLOWER on an H200
    /// (26.2 against 23.9 ms per step at the paper config); in fp32 <see cref="AttentionKernelFp32"/> already takes the
    /// table to the kernel. <c>--fast-paths relative-kernel</c> times it.</summary>
    RelativeKernel = 8192,

    /// <summary>Every residual connection with dropout on its branch, x + dropout(y), in one run-time kernel pass that
    /// reads x and y and writes the sum (<see cref="Kernels.FusedResidualDropout"/>), the mask recomputed from a hashed
    /// seed in backward, instead of libtorch's dropout kernel (which stores y' and a byte mask) and then its add.
    /// <c>--fast-paths no-residual-kernel</c> times the step without it.</summary>
    ResidualDropoutKernel = 16384,

    /// <summary>bf16 attention for 16-dim heads (no PE bias, ALiBi, the relative PE's table; T, S ≤ 128) on the tensor
    /// cores in run-time kernels (<see cref="Kernels.FusedSmallAttention"/>, <c>mma_attention.cu</c>: mma.sync m16n8k16,
    /// a warp per 16 rows), instead of libtorch's cuDNN attention (or, for the relative PE, the explicit product), whose
    /// tiles are built for wider heads. In <see cref="Default"/>: bf16 step at the paper config on an H200, same call
    /// (BENCHMARKS.md): NoPE 10.97 → 10.77 ms, RoPE 11.51 → 11.31, ALiBi 12.65 → 11.96, relative 21.19 → 15.64; forward
    /// 184 µs and backward 548 µs a layer against cuDNN's about 240 and 590. <c>--fast-paths no-tc-attn</c> times the
    /// step without it.</summary>
    TensorCoreAttention = 32768,

    /// <summary>The backward of the LayerNorm and bias kernels (<see cref="LayerNormKernel"/>, <see cref="BiasKernel"/>) adds
    /// each weight, bias, γ and β gradient straight into the parameter's .grad (the weight's inside its GEMM, addmm_; the
    /// others in the column-sum kernel that finishes them) and hands autograd none (<see cref="Kernels.KernelUse.AccumulateParameterGradients"/>),
    /// instead of returning it for libtorch's AccumulateGrad to add in a kernel of its own per parameter: 112 AccumulateGrad
    /// adds, 0.45 ms of a 10.7 ms bf16 NoPE step on an H200
    /// (examples/results/gpu/grid-overheads-h200/3-pair-dropout-9171fb6/profile.md: 112 bf16 add kernels; the paper
    /// model has 99 parameters, so some are autograd's sums of a tensor's gradients). At that config 72 parameters take
    /// this path: every block's LayerNorms and its Q, O and FFN projections; not the embedding, the classifier (libtorch's
    /// linear) or the fused K/V memory projections (a concatenation, not a leaf). Bit-identical where .grad holds
    /// zeros, as a training step's does (the tests, on the CPU emulation; on a GPU <c>pe-train check</c>: inplace-grads). The first step, whose .grad are still
    /// undefined, returns its gradients as before; a CUDA graph is captured at a shape's second step, after they are
    /// defined. Only on for the model that steps (<see cref="TrainStep"/>); never under autograd.grad (the probes turn it
    /// off). In <see cref="Default"/>: bf16 step at the paper config on an H200, same call (b617c73, BENCHMARKS.md): NoPE
    /// 9.63 → 9.54 ms, RoPE 10.17 → 10.06, ALiBi 10.77 → 10.64, relative 11.68 → 11.55. <c>--fast-paths no-inplace-grads</c>
    /// times the step without it, <c>pe-train check</c> compares it (inplace-grads).</summary>
    ParameterGradientsInPlace = 65536,

    /// <summary>The tensor-core attention kernels with score loops of their own for ALiBi's bias alone and for the relative
    /// table alone (<see cref="Kernels.KernelUse.AttentionBiasKinds"/>), instead of the general bias, which tests for each
    /// score whether each term (distance, key mask, table, per-query mask) is there: where the call has one of the two and no
    /// mask (the reference architecture), the same values with fewer instructions a score. On an H200 (bf16, paper config,
    /// 3fa8236) their steps were 11.33 (ALiBi) and 12.76 ms (relative) against NoPE's 10.48, the attention kernels 0.85 and
    /// 2.2 ms of the difference. In <see cref="Default"/>: bf16 step at the paper config on an H200, same call (b617c73,
    /// BENCHMARKS.md): ALiBi 10.77 → 9.90 ms, relative 11.68 → 10.56 (NoPE and RoPE unchanged: they have no bias). The
    /// CPU emulation checks it against the composite, <c>pe-train check</c> too (tc-attn-bias-kinds);
    /// <c>--fast-paths no-bias-kinds</c> times the step without it.</summary>
    AttentionBiasKinds = 131072,

    /// <summary>The bias kernel (<see cref="BiasKernel"/>) sums its partial column sums by 16-byte loads, 8 bf16 columns a
    /// thread and a warp per row (<c>column_sum.cu</c>'s <c>column_sum_partial16</c>, <see cref="Kernels.KernelUse.VectorColumnSums"/>),
    /// where the gradient's row is a multiple of 16 bytes and aligned, instead of a thread per column loading 2 bytes a
    /// row: on an H200 (3fa8236, bf16 NoPE step, paper config) that kernel's 25 launches took 0.48 ms of 10.3, about
    /// 1.7 TB/s. The same sums in another order (fp32 rounding). In <see cref="Default"/>: bf16 step at the paper config on
    /// an H200, same call (b617c73, BENCHMARKS.md): NoPE 9.63 → 9.48 ms, RoPE 10.17 → 10.00, ALiBi 10.77 → 10.58, relative
    /// 11.68 → 11.49. <c>--fast-paths no-vector-sums</c> times the step without it, <c>pe-train check</c> compares it
    /// (bias-kernel-16B).</summary>
    VectorColumnSums = 262144,

    /// <summary>Each pre-LN block's LayerNorms (<see cref="LayerNormKernel"/>) pass their input x on for the residual
    /// stream and add that use's gradient into their dx inside the backward kernel (<see cref="Kernels.FusedLayerNorm.ApplyWithResidual"/>,
    /// <see cref="Kernels.KernelUse.ResidualGradientInNorm"/>), instead of autograd adding the gradients of x's two uses
    /// in a kernel of its own: a bf16 add of 3 × 32 MB per LayerNorm at the paper's batch (12 a step, about 20 µs each by
    /// the bytes), for one more 32 MB read in the LayerNorm kernel. dx rounds once instead of three times. In
    /// <see cref="Default"/>: bf16 step at the paper config on an H200, same call (b617c73, BENCHMARKS.md): NoPE 9.63 →
    /// 9.45 ms, RoPE 10.17 → 9.97, ALiBi 10.77 → 10.54, relative 11.68 → 11.46. <c>--fast-paths no-norm-residual</c> times
    /// the step without it, <c>pe-train check</c> compares it (ln-residual).</summary>
    ResidualGradientInNorm = 524288,

    /// <summary>The reference FFN's fc1 and ReLU as one projection (<see cref="Kernels.FusedLinear.ApplyRelu"/>,
    /// <see cref="Kernels.KernelUse.ReluInProjection"/>, with <see cref="BiasKernel"/>): the ReLU in the GEMM's epilogue
    /// (libtorch's _addmm_activation, bound by name: cuBLASLt's bias and ReLU epilogue on CUDA), and its backward from the
    /// output in the kernel that sums the bias's gradient, instead of libtorch's ReLU forward and backward kernels, 0.20
    /// and 0.27 ms of a 10.3 ms bf16 NoPE step on an H200 (3fa8236's profile: the TensorCompare and threshold kernels, 6
    /// calls each). Same values. In <see cref="Default"/>: bf16 step at the paper config on an H200, same call (b617c73,
    /// BENCHMARKS.md): NoPE 9.63 → 9.35 ms, RoPE 10.17 → 9.88, ALiBi 10.77 → 10.44, relative 11.68 → 11.37.
    /// <c>--fast-paths no-relu-epilogue</c> times the step without it, <c>pe-train check</c> compares it (linear-relu).</summary>
    ReluInProjection = 1048576,

    /// <summary>What pe-train trains with: every fast path measured faster than its oracle on a GPU.</summary>
    /// The last five joined on 2026-12-05 (b617c73): all five together took the bf16 step at the paper config on an H200
    /// from 9.63 to 8.95 ms (NoPE), 10.17 to 9.48 (RoPE), 10.77 to 9.22 (ALiBi) and 11.68 to 9.87 (relative).
    Default = Flat | FusedMemoryProjections | FastRope | RopeKernel | LayerNormKernel | BiasKernel | CudaGraph | LearnedBiasExplicit
              | BiasAsFourDims | AttentionKernelFp32 | ResidualDropoutKernel | TensorCoreAttention | ParameterGradientsInPlace
              | AttentionBiasKinds | VectorColumnSums | ResidualGradientInNorm | ReluInProjection,

    /// <summary>Every fast path, measured or not: what <c>pe-train check</c> compares with <see cref="None"/>.</summary>
    All = Default | AttentionKernel | RelativeKernel | CudnnBiasAttention | ConstantBiasExplicit | TensorCoreAttention | ParameterGradientsInPlace
              | AttentionBiasKinds | VectorColumnSums | ResidualGradientInNorm | ReluInProjection,
}
