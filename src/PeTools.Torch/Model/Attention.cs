using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>How <see cref="Attention"/> computes softmax(q·kᵀ/√d + B + mask)·v.</summary>
public enum AttentionPath
{
    /// <summary>scaled_dot_product_attention (flash / memory-efficient kernels where libtorch has them), unless a hook
    /// watches logits or pattern. Its backward is not differentiable again on every device.</summary>
    Fused,

    /// <summary>The explicit matmul-softmax-matmul, always: twice differentiable everywhere (Hessian-vector products).</summary>
    Composite,
}

/// <summary>
/// What every attention kind shares: the three hook points (their field names are the hook names under
/// <c>blocks.{l}.attn</c>) and the scaled-dot-product step with its two paths. Subclasses project, apply the PE
/// and project out.
/// </summary>
public abstract class Attention : nn.Module
{
    // Field names are the hook names: blocks.{l}.attn.logits / .pattern / .z.
    private readonly HookPoint logits = new("logits");
    private readonly HookPoint pattern = new("pattern");
    private readonly HookPoint z = new("z");
    private readonly double dropout;

    protected Attention(string name, TransformerConfig config) : base(name) => dropout = config.Dropout;

    /// <summary>Pre-softmax logits QKᵀ/√d + PE bias, (B, H, T, S), BEFORE the padding/causal mask (the paper's L).</summary>
    public HookPoint Logits => logits;

    /// <summary>Softmax of the masked logits, (B, H, T, S), before attention dropout.</summary>
    public HookPoint Pattern => pattern;

    /// <summary>Per-head output A·V before the output projection, (B, H, T, dh): zero head h here to ablate it.</summary>
    public HookPoint Z => z;

    /// <summary>Which path <see cref="Attend"/> takes (a plain setting, not a parameter or buffer); see <see cref="AttentionPath"/>.</summary>
    public AttentionPath Path { get; set; } = AttentionPath.Fused;

    /// <summary>Which run-time kernels the projections use (the model's one object, set by its block).</summary>
    public Kernels.KernelUse Kernels { get; set; } = new();

    /// <summary>p(x), on the kernel path where <see cref="Kernels"/> asks for it (<see cref="PeTools.Torch.Kernels.FusedLinear"/>).</summary>
    protected Tensor Project(TorchSharp.Modules.Linear p, Tensor x) => PeTools.Torch.Kernels.FusedLinear.ApplyOrModule(p, x, Kernels);

    /// <summary>The projection that makes values; head h owns rows [h·dh, (h+1)·dh) of its weight (and bias, if any).</summary>
    public abstract TorchSharp.Modules.Linear ValueProjection { get; }

    /// <summary>The projection whose rows [h·dh, (h+1)·dh) are head h's W_Q (MLA: W_UQ, the per-head up-projection).</summary>
    public abstract TorchSharp.Modules.Linear QueryProjection { get; }

    /// <summary>The projection whose rows [h·dh, (h+1)·dh) are head h's W_K (MLA: W_UK, the per-head up-projection).</summary>
    public abstract TorchSharp.Modules.Linear KeyProjection { get; }

    /// <summary>
    /// The projections applied to keyValueInput alone, in the order <see cref="forward(Tensor, IReadOnlyList{Tensor}, Tensor?)"/>
    /// takes their outputs (MHA: k_proj, v_proj; MLA: kv_down, k_rope). In the Reference architecture every layer
    /// applies them to the same memory, so the <see cref="Transformer"/> can run all layers' as one GEMM.
    /// </summary>
    public abstract IReadOnlyList<TorchSharp.Modules.Linear> MemoryProjections { get; }

    /// <summary>
    /// queryInput (B, T, D) makes queries, keyValueInput (B, S, D) keys and values; mask is additive, broadcastable
    /// to (B, H, T, S) (0 or −inf), or null. Returns (B, T, D).
    /// </summary>
    public Tensor forward(Tensor queryInput, Tensor keyValueInput, Tensor? mask) =>
        forward(queryInput, MemoryProjections.Select(p => p.call(keyValueInput)).ToArray(), mask);

    /// <summary>
    /// The same, with the outputs of <see cref="MemoryProjections"/> on keyValueInput already computed, each (B, S, out)
    /// (possibly a strided slice of one wider output).
    /// </summary>
    public abstract Tensor forward(Tensor queryInput, IReadOnlyList<Tensor> projectedMemory, Tensor? mask);

    /// <summary>
    /// softmax(q·kᵀ/√d_q + bias + mask)·v with dropout on the weights in training; returns z (B, H, T, dv) after its hook.
    /// Fused (scaled_dot_product_attention) unless <see cref="Path"/> is Composite or a hook watches logits or pattern;
    /// then the composite path, which computes the same thing and calls those hooks.
    /// </summary>
    protected Tensor Attend(Tensor q, Tensor k, Tensor v, LayerPositionalEncoding positional, Tensor? mask)
    {
        // An ALiBi bias is computed inside the attention kernel where it fits, and a relative table read there, instead of
        // an (H, T, S) tensor; attention without a PE bias takes the same kernel. Any other bias goes to the tensor paths.
        // The PE is asked for slopes or a table only when some kernel switch could take this call.
        var launcher = KernelLauncher(Kernels.WantsAttentionKernel(q.dtype, relativeTable: true) || Kernels.WantsTensorCoreAttention(q.dtype),
                                      q, mask);
        var slopes = launcher is null ? null : positional.DistanceSlopes(q.device);
        var relative = launcher is null || slopes is not null ? null : positional.RelativeTable();
        var bias = slopes is null && relative is null ? positional.LogitBias(q.shape[2], k.shape[2], q.device) : null;
        if (launcher is not null && (slopes is not null || relative is not null || bias is null)
            && PeTools.Torch.Kernels.FusedSmallAttention.Fits(q, k, v, slopes, relative, mask, launcher)
            && PeTools.Torch.Kernels.FusedSmallAttention.TakesDropout(training ? dropout : 0.0))
        {
            // The tensor-core kernels where asked for and they fit; else the scalar ones where asked for (in bf16 they are
            // slower than libtorch's cuDNN attention, so the tensor-core switch alone never falls back to them).
            bool cores = Kernels.WantsTensorCoreAttention(q.dtype) && PeTools.Torch.Kernels.FusedSmallAttention.FitsTensorCores(q, k, v, launcher);
            if (cores || Kernels.WantsAttentionKernel(q.dtype, relative is not null))
                return z.call(PeTools.Torch.Kernels.FusedSmallAttention.Apply(q, k, v, slopes, relative, mask, training ? dropout : 0.0, launcher,
                    tensorCores: cores, biasKinds: Kernels.AttentionBiasKinds));
        }
        return Attend(q, k, v, bias ?? positional.LogitBias(q.shape[2], k.shape[2], q.device), mask);
    }

    /// <summary>
    /// MLA (<see cref="DecoupledRopeAttention"/>): attention over q = [qContent; qRotary] and k = [kContent; kRotary], the
    /// rotary halves (B, 1, T|S, dh) shared by every head, with the PE's bias (H, T, S) or null. One pair for all heads
    /// makes the rotary logits q_r·k_rᵀ one (B, 1, T, S) product, the same for every head: where the scalar attention
    /// kernel is wanted for this dtype and fits, they go to it as a mask that takes a gradient (added to the padding
    /// mask), and the content heads stay 16 dims wide. Else the (B, H, T|S, 2·dh) concatenations go to the tensor paths,
    /// the oracle. Why: through the concatenations libtorch's memory-efficient kernel took 21.4 of a 56.0 ms fp32 step
    /// on an H200, and building and reducing them 2.3 more (BENCHMARKS.md).
    /// </summary>
    protected Tensor AttendSharedRotary(Tensor qContent, Tensor kContent, Tensor v, Tensor qRotary, Tensor kRotary, Tensor? bias, Tensor? mask)
    {
        double scale = 1.0 / Math.Sqrt(qContent.shape[^1] + qRotary.shape[^1]);                    // 1/√(2·dh), as over [q; q_r]
        var launcher = KernelLauncher(bias is null && Kernels.WantsAttentionKernel(qContent.dtype, relativeTable: false), qContent, mask);
        if (launcher is not null)
        {
            var logits = PeTools.Torch.Kernels.FusedSmallAttention.RotaryLogits(qRotary, kRotary, scale, mask);   // (B, 1, T, S)
            if (PeTools.Torch.Kernels.FusedSmallAttention.Fits(qContent, kContent, v, null, null, logits.Mask, launcher)
                && PeTools.Torch.Kernels.FusedSmallAttention.TakesDropout(training ? dropout : 0.0))
                return z.call(PeTools.Torch.Kernels.FusedSmallAttention.Apply(qContent, kContent, v, null, null, logits.Mask,
                    training ? dropout : 0.0, launcher, scale: scale, maskRows: logits.Rows));
        }
        long b = qContent.shape[0], h = qContent.shape[1];
        var q = cat([qContent, qRotary.expand(b, h, qRotary.shape[2], qRotary.shape[3])], dim: -1);   // (B, H, T, 2dh)
        var k = cat([kContent, kRotary.expand(b, h, kRotary.shape[2], kRotary.shape[3])], dim: -1);   // (B, H, S, 2dh)
        return Attend(q, k, v, bias, mask);
    }

    /// <summary>Where a run-time attention kernel may run for queries q and this mask, when one is wanted: on the fused path,
    /// with no hook watching logits or pattern (the kernels never form them), a mask in q's dtype; else null.</summary>
    private PeTools.Torch.Kernels.IKernelLauncher? KernelLauncher(bool wanted, Tensor q, Tensor? mask) =>
        wanted && Path == AttentionPath.Fused && !logits.HasHooks && !pattern.HasHooks && (mask is null || mask.dtype == q.dtype)
            ? Kernels.LauncherFor(q.device) : null;

    /// <summary>The same with the PE's bias (H, T, S) given as a tensor, or null.</summary>
    protected Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? bias, Tensor? mask)
    {
        // paper.md §2: content and position meet in q·kᵀ + B, on both paths below. Multiplicative PEs are already
        // inside q and k (L_RoPE = Re{(·) ∘ G_e}); bias PEs are B (L_Add); absolute PEs entered at the embeddings.
        var p = training ? dropout : 0.0;
        bias = bias?.to(q.dtype);
        if (Path == AttentionPath.Fused && !logits.HasHooks && !pattern.HasHooks)
        {
            var additive = bias is null ? mask : mask is null ? bias : bias + mask; // (B|1, H|1, T, S) or (H, T, S)
            // libtorch's cuDNN attention refuses a 3-D mask; as (1, H, T, S) it takes the same bias (FastPaths.BiasAsFourDims).
            if (additive is not null && additive.dim() == 3 && Kernels.BiasAsFourDims) additive = additive.unsqueeze(0);
            if (additive is not null && (additive.requires_grad ? Kernels.LearnedBiasExplicit : Kernels.ConstantBiasExplicit))
            {
                // With a bias libtorch has no flash kernel; its memory-efficient one is slow for 16-dim heads and slower
                // still when it must return the bias gradient. The explicit product is a few GEMM and elementwise passes;
                // scaling q (B, H, T, dh) costs less than scaling the logits (B, H, T, S).
                var weights = nn.functional.softmax(q.mul(1.0 / Math.Sqrt(q.shape[^1])).matmul(k.transpose(-2, -1)) + additive, -1);
                return z.call(nn.functional.dropout(weights, p, training).matmul(v));      // (B, H, T, dv)
            }
            if (Kernels.BiasWithoutMemoryEfficient && additive is not null && !additive.requires_grad && q.device_type == DeviceType.CUDA)
            {
                using var _ = PeTools.Torch.Native.SdpBackends.WithoutMemoryEfficient();
                return z.call(nn.functional.scaled_dot_product_attention(q, k, v, additive, p)); // (B, H, T, dv)
            }
            return z.call(nn.functional.scaled_dot_product_attention(q, k, v, additive, p)); // (B, H, T, dv)
        }
        var scores = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(q.shape[^1]));     // (B, H, T, S), paper.md §2
        var l = logits.call(bias is null ? scores : scores + bias);                  // (B, H, T, S)
        var a = pattern.call(nn.functional.softmax(mask is null ? l : l + mask, -1)); // (B, H, T, S)
        return z.call(nn.functional.dropout(a, p, training).matmul(v));              // (B, H, T, dv)
    }
}
