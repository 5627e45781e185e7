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
    private readonly bool keysFromMemory;

    public Block(TransformerConfig config, Attention attention) : base(nameof(Block))
    {
        keysFromMemory = config.Arch == Architecture.Reference;
        ln1 = nn.LayerNorm(config.DModel);
        attn = attention;
        ln2 = nn.LayerNorm(config.DModel);
        nn.Module<Tensor, Tensor> activation = keysFromMemory ? nn.ReLU() : nn.GELU();
        ffn = nn.Sequential(
            ("fc1", nn.Linear(config.DModel, config.DFF)),
            ("act", activation),
            ("fc2", nn.Linear(config.DFF, config.DModel)));
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public Attention Attention => attn;

    /// <summary>LN1 and LN2 in the run-time kernel (<see cref="FusedLayerNorm"/>) where one is at hand; false: libtorch's.</summary>
    public bool LayerNormInKernel { get; set; }

    /// <summary>The launcher for <see cref="LayerNormInKernel"/>; null: the CUDA kernels of the input's device.</summary>
    public IKernelLauncher? KernelLauncher { get; set; }
    public HookPoint ResidPre => resid_pre;

    /// <summary>
    /// x (B, T, D), memory (B, T, D) the layer-0 embeddings, mask additive or null; projectedMemory (Reference only):
    /// this layer's <see cref="Attention.MemoryProjections"/> of memory, computed for all layers at once. Returns (B, T, D).
    /// </summary>
    public Tensor forward(Tensor x, Tensor memory, Tensor? mask, IReadOnlyList<Tensor>? projectedMemory = null)
    {
        x = resid_pre.call(x);                                          // (B, T, D)
        var h = Norm(ln1, x);                                           // (B, T, D)
        var attended = projectedMemory is not null && keysFromMemory
            ? attn.forward(h, projectedMemory, mask)                    // (B, T, D)
            : attn.forward(h, keysFromMemory ? memory : h, mask);       // (B, T, D)
        x = x + dropout.call(attended);                                 // (B, T, D)
        return x + dropout.call(ffn.call(Norm(ln2, x)));                // (B, T, D)
    }

    private Tensor Norm(LayerNorm ln, Tensor x) => FusedLayerNorm.ApplyOrModule(ln, x, LayerNormInKernel, KernelLauncher);
}
