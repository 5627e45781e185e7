using PeTools.Torch.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// One pre-LN block. Reference (trans.py): x += drop(attn(LN1(x), memory)), memory = the layer-0 embeddings,
/// un-normalised; x += drop(FFN_ReLU(LN2(x))). Standard: x += drop(attn(LN1(x), LN1(x))); x += drop(FFN_GELU(LN2(x))).
/// State-dict keys: <c>blocks.{l}.{ln1,ln2}.{weight,bias}</c>, <c>blocks.{l}.attn.*</c>,
/// <c>blocks.{l}.ffn.{fc1,fc2}.{weight,bias}</c>. Hook: <c>blocks.{l}.resid_pre</c> (B, T, D), the block's input.
/// </summary>
public sealed class Block : nn.Module
{
    private readonly HookPoint resid_pre = new("resid_pre");
    private readonly LayerNorm ln1;
    private readonly Attention attn;
    private readonly LayerNorm ln2;
    private readonly Sequential ffn;
    private readonly Dropout dropout;
    private readonly double dropoutRate;
    private readonly bool keysFromMemory;
    private readonly Linear[] ffnLinears;                          // fc1, fc2 of ffn: plain arrays, not registered twice
    private readonly nn.Module<Tensor, Tensor>[] ffnActivation;    // act of ffn

    public Block(TransformerConfig config, Attention attention) : base(nameof(Block))
    {
        keysFromMemory = config.Arch == Architecture.Reference;
        ln1 = nn.LayerNorm(config.DModel);
        attn = attention;
        ln2 = nn.LayerNorm(config.DModel);
        nn.Module<Tensor, Tensor> activation = keysFromMemory ? nn.ReLU() : nn.GELU();
        var (fc1, fc2) = (nn.Linear(config.DModel, config.DFF), nn.Linear(config.DFF, config.DModel));
        ffn = nn.Sequential(("fc1", fc1), ("act", activation), ("fc2", fc2));
        ffnLinears = [fc1, fc2];
        ffnActivation = [activation];
        dropout = nn.Dropout(config.Dropout);
        dropoutRate = config.Dropout;
        RegisterComponents();
    }

    public Attention Attention => attn;

    /// <summary>Which run-time kernels this block's LayerNorms and projections use: the model's one object, shared with
    /// its attention (<see cref="Transformer.Kernels"/>).</summary>
    public KernelUse Kernels
    {
        get => kernels;
        set => kernels = attn.Kernels = value;
    }

    private KernelUse kernels = new();
    public HookPoint ResidPre => resid_pre;

    /// <summary>
    /// x (B, T, D), memory (B, T, D) the layer-0 embeddings, mask additive or null; projectedMemory (Reference only):
    /// this layer's <see cref="Attention.MemoryProjections"/> of memory, computed for all layers at once. Returns (B, T, D).
    /// </summary>
    public Tensor forward(Tensor x, Tensor memory, Tensor? mask, IReadOnlyList<Tensor>? projectedMemory = null)
    {
        x = resid_pre.call(x);                                          // (B, T, D)
        var (h, stream) = FusedLayerNorm.ApplyOrModuleWithResidual(ln1, x, kernels); // (B, T, D) each
        var attended = projectedMemory is not null && keysFromMemory
            ? attn.forward(h, projectedMemory, mask)                    // (B, T, D)
            : attn.forward(h, keysFromMemory ? memory : h, mask);       // (B, T, D)
        x = Residual(stream, attended);                                 // (B, T, D)
        (h, stream) = FusedLayerNorm.ApplyOrModuleWithResidual(ln2, x, kernels);
        return Residual(stream, FeedForward(h));                        // (B, T, D)
    }

    /// <summary>x + dropout(branch): in one kernel pass in training where <see cref="Kernels"/> asks for it and it fits
    /// (<see cref="FusedResidualDropout"/>), else libtorch's dropout and add.</summary>
    private Tensor Residual(Tensor x, Tensor branch)
    {
        if (training && kernels.ResidualDropout && dropoutRate > 0 && kernels.LauncherFor(x.device) is { } k && FusedResidualDropout.Fits(x, branch, k))
            return FusedResidualDropout.Apply(x, branch, dropoutRate, k);
        return x + dropout.call(branch);
    }

    /// <summary>fc2(act(fc1(x))), each projection on the kernel path where <see cref="Kernels"/> asks for it; with
    /// <see cref="KernelUse.ReluInProjection"/>, fc1 and a ReLU as one (<see cref="FusedLinear.ApplyRelu"/>).</summary>
    private Tensor FeedForward(Tensor x)
    {
        if (!kernels.Linear) return ffn.call(x);
        var (fc1, fc2) = (ffnLinears[0], ffnLinears[1]);
        var hidden = (ffnActivation[0] is ReLU ? FusedLinear.TryApplyRelu(fc1, x, kernels) : null)
                     ?? ffnActivation[0].call(FusedLinear.ApplyOrModule(fc1, x, kernels));
        return FusedLinear.ApplyOrModule(fc2, hidden, kernels);
    }
}
