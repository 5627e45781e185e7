using PeTools.Core.Errors;
using PeTools.Torch.Kernels;
using PeTools.Torch.Positional;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// The classifier the paper trains: tokens (B, T) int64, right-padded with PadId → logits (B, Classes).
/// <para>Reference (reference-code.md §3.1, exactly): x0 = Emb(tokens) + PE.AddToEmbedding; memory = x0; every block
/// takes K and V from memory; no causal mask unless asked, NO padding mask; mean over ALL T positions (padding
/// included); no final LN; Linear(d_model, Classes). 3,457,086 parameters at the defaults for PEs without parameters.</para>
/// <para>Standard: pre-LN self-attention, key-padding mask (PadId is never attended to), optional causal mask, GELU,
/// final LN, mean over non-padding positions.</para>
/// The model opens no dispose scope of its own: callers open one per step (STYLE.md §12), and hooked tensors live
/// until it ends. State-dict keys (PyTorch-style, for a later Python loader): <c>embedding.weight</c>, <c>pe.*</c> (see
/// each PE), <c>blocks.{l}.*</c> (see <see cref="Block"/>), <c>ln_f.{weight,bias}</c> (Standard only),
/// <c>classifier.{weight,bias}</c>. No buffer is persistent.
/// </summary>
public sealed class Transformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly PositionalEncoding pe;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm? ln_f;
    private readonly Linear classifier;
    private readonly Dictionary<string, HookPoint> hooks;
    private readonly Block[] blockArray; // a plain array (not registered): ModuleList is no IReadOnlyList

    /// <exception cref="UsageError">A bad config: see <see cref="TransformerConfig.Validate"/>, each PE, and MLA's PE rule.</exception>
    public Transformer(TransformerConfig config) : base(nameof(Transformer))
    {
        config.Validate();
        Config = config;
        embedding = nn.Embedding(config.Vocab, config.DModel);
        pe = PositionalEncodings.Create(config);
        var attention = Attentions.For(config.Attention);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Layers)
            .Select(l => new Block(config, attention.Create(config, new LayerPositionalEncoding(pe, l, config.PeActiveIn(l)))))
            .ToArray());
        blockArray = [.. blocks];
        foreach (var b in blockArray) b.Kernels = Kernels;
        if (pe is RotaryEncoding rotary) rotary.Kernels = Kernels;
        ln_f = config.Arch == Architecture.Standard ? nn.LayerNorm(config.DModel) : null;
        classifier = nn.Linear(config.DModel, config.Classes);
        RegisterComponents();
        hooks = named_modules().Where(m => m.module is HookPoint).ToDictionary(m => m.name, m => (HookPoint)m.module);
        foreach (var (name, hook) in hooks) hook.Path = name;
    }

    public TransformerConfig Config { get; }

    /// <summary>
    /// Reference architecture: run every layer's <see cref="Attention.MemoryProjections"/> (the K and V projections of
    /// the layer-0 embeddings) as one GEMM over their concatenated weights, then hand each layer its slices (true, the
    /// fast path), or each layer its own projections (false, the oracle). Same maths; a test holds them to rounding.
    /// </summary>
    public bool FuseMemoryProjections { get; set; } = true;

    /// <summary>
    /// Rotary PEs: rotate with cached tables in three kernels (true, the fast path) or with the composite of pairs
    /// (false, the oracle); see <see cref="RotaryEncoding.FastRotation"/>. No effect for other PEs.
    /// </summary>
    public bool FastRotation
    {
        get => pe is RotaryEncoding { FastRotation: true };
        set
        {
            if (pe is RotaryEncoding rotary) rotary.FastRotation = value;
        }
    }

    /// <summary>
    /// Rotary PEs on the fast path: rotate in one run-time kernel per direction where one is at hand (true, see
    /// <see cref="KernelUse.Rotation"/>) or with the cached tables, the kernel's oracle (false). Always false for other PEs.
    /// </summary>
    public bool RotateInKernel
    {
        get => pe is RotaryEncoding && Kernels.Rotation;
        set => Kernels.Rotation = value;
    }

    /// <summary>Which run-time kernels every layer uses, one object shared with every block and attention.</summary>
    public KernelUse Kernels { get; } = new();

    /// <summary>
    /// Every LayerNorm in the run-time kernel (<see cref="FusedLayerNorm"/>) where one is at hand (true), or in libtorch,
    /// the kernel's oracle (false; training turns it on: <see cref="Training.FastPaths.LayerNormKernel"/>).
    /// </summary>
    public bool LayerNormInKernel
    {
        get => Kernels.LayerNorm;
        set => Kernels.LayerNorm = value;
    }

    /// <summary>
    /// Every biased projection with its bias gradient in the column-sum kernel (<see cref="FusedLinear"/>) where one is at
    /// hand (true), or libtorch's linear, the oracle (false; training turns it on: <see cref="Training.FastPaths.BiasKernel"/>).
    /// </summary>
    public bool LinearInKernel
    {
        get => Kernels.Linear;
        set => Kernels.Linear = value;
    }

    /// <summary>
    /// ALiBi attention (the bias computed inside), the relative PE's (its table read inside) and attention without a PE
    /// bias in the run-time kernel (<see cref="FusedSmallAttention"/>) where it fits (true), or
    /// scaled_dot_product_attention, the oracle (false, the default: <see cref="Training.FastPaths.AttentionKernel"/>).
    /// No effect for PEs with another bias.
    /// </summary>
    public bool AttentionInKernel
    {
        get => Kernels.Attention;
        set => Kernels.Attention = value;
    }

    /// <summary>Where run-time kernels run; null (the default): the CUDA kernels of the tensors' device. Tests set the
    /// CPU emulation here, for the rotary PE, every LayerNorm and every projection.</summary>
    public IKernelLauncher? KernelLauncher
    {
        get => Kernels.Launcher;
        set => Kernels.Launcher = value;
    }

    public IReadOnlyList<Block> Blocks => blockArray;
    public PositionalEncoding PositionalEncoding => pe;

    /// <summary>
    /// Sets every layer's <see cref="Attention.Path"/> until the result is disposed, then restores what each had.
    /// Double backward (Hessian-vector products) needs <see cref="AttentionPath.Composite"/>: the fused kernels'
    /// backward is not differentiable on every device, and TorchSharp's autograd.grad does not turn libtorch's error
    /// into an exception (THSAutograd_grad has no CATCH), so the process would die. The composite path also turns
    /// <see cref="RotateInKernel"/>, <see cref="LayerNormInKernel"/>, <see cref="LinearInKernel"/> and the residual dropout
    /// kernel off: a run-time kernel's backward is not differentiable again.
    /// </summary>
    public IDisposable UseAttentionPath(AttentionPath path)
    {
        var previous = blockArray.Select(b => b.Attention.Path).ToArray();
        bool rotate = RotateInKernel, norm = LayerNormInKernel, linear = LinearInKernel, residual = Kernels.ResidualDropout;
        foreach (var b in blockArray) b.Attention.Path = path;
        if (path == AttentionPath.Composite)
            (RotateInKernel, LayerNormInKernel, LinearInKernel, Kernels.ResidualDropout) = (false, false, false, false);
        // AttentionInKernel needs no switch: the kernel runs only on the fused path.
        return new Restore(() =>
        {
            for (int l = 0; l < blockArray.Length; l++) blockArray[l].Attention.Path = previous[l];
            (RotateInKernel, LayerNormInKernel, LinearInKernel, Kernels.ResidualDropout) = (rotate, norm, linear, residual);
        });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        private Action? _undo = undo;

        public void Dispose()
        {
            _undo?.Invoke();
            _undo = null;
        }
    }

    /// <summary>Every hook point by name: <c>blocks.{l}.resid_pre</c>, <c>blocks.{l}.attn.{logits,pattern,z}</c>.</summary>
    public IReadOnlyDictionary<string, HookPoint> HookPoints => hooks;

    /// <summary>The hook point called <paramref name="name"/>; a <see cref="UsageError"/> listing the names otherwise.</summary>
    public HookPoint Hook(string name) => hooks.TryGetValue(name, out var hook)
        ? hook
        : throw UsageError.Option("--hook", $"a hook point such as blocks.0.attn.z ({hooks.Count} exist)", name);

    public override Tensor forward(Tensor tokens)
    {
        var x = pe.AddToEmbedding(embedding.call(tokens));      // (B, T, D)
        var memory = x;                                          // (B, T, D): K/V source of every Reference block
        var mask = Mask(tokens, x.dtype);                        // (B, 1, T, T) additive, or null
        var projected = ProjectMemory(memory);                   // per layer: its K/V-side projections, or null
        for (int l = 0; l < blockArray.Length; l++) x = blockArray[l].forward(x, memory, mask, projected?[l]);
        if (ln_f is not null) x = FusedLayerNorm.ApplyOrModule(ln_f, x, Kernels); // (B, T, D)
        return classifier.call(Pool(tokens, x));                 // (B, Classes)
    }

    /// <summary>
    /// Every layer's memory projections in one GEMM: memory (B, T, D) times the concatenated weights (Σ out, D), split
    /// back into per-layer (B, T, out) slices. Null (each layer projects alone) unless Reference and fused, or when
    /// some projections have a bias and others not.
    /// </summary>
    private Tensor[][]? ProjectMemory(Tensor memory)
    {
        if (!FuseMemoryProjections || Config.Arch != Architecture.Reference) return null;
        var perLayer = blockArray.Select(b => b.Attention.MemoryProjections).ToArray();
        var all = perLayer.SelectMany(p => p).ToArray();
        bool biased = all[0].bias is not null;
        if (all.Any(p => (p.bias is not null) != biased)) return null;
        var weight = cat(all.Select(p => (Tensor)p.weight!).ToArray(), 0);                    // (Σ out, D)
        var bias = biased ? cat(all.Select(p => (Tensor)p.bias!).ToArray(), 0) : null;         // (Σ out)
        var wide = FusedLinear.ApplyOrLinear(memory, weight, bias, Kernels);                    // (B, T, Σ out)
        var slices = wide.split(all.Select(p => p.weight!.shape[0]).ToArray(), -1);            // each (B, T, out)
        int next = 0;
        return perLayer.Select(p => p.Select(_ => slices[next++]).ToArray()).ToArray();
    }

    /// <summary>−inf where attention is forbidden: padding keys (Standard) and future keys (Causal); null when nothing is.</summary>
    private Tensor? Mask(Tensor tokens, ScalarType dtype)
    {
        long b = tokens.shape[0], t = tokens.shape[1];
        var forbidden = Config.Arch == Architecture.Standard
            ? tokens.eq(Config.PadId).view(b, 1, 1, t)           // (B, 1, 1, T)
            : null;
        if (Config.Causal)
        {
            var future = ones(t, t, dtype: ScalarType.Bool, device: tokens.device).triu(1); // (T, T)
            forbidden = forbidden is null ? future.view(1, 1, t, t) : forbidden.logical_or(future); // (B|1, 1, T, T)
        }
        if (forbidden is null) return null;
        // A row with every key forbidden (an all-padding sequence) would softmax to NaN; let it see all keys instead.
        // Its output never matters: masked pooling gives such a sequence the zero vector.
        forbidden = forbidden.logical_and(forbidden.all(-1, keepdim: true).logical_not());       // (B|1, 1, T|1, T)
        return zeros(forbidden.shape, dtype, tokens.device).masked_fill(forbidden, double.NegativeInfinity);
    }

    /// <summary>Reference: mean over all positions. Standard: mean over non-padding positions.</summary>
    private Tensor Pool(Tensor tokens, Tensor x)
    {
        if (Config.Arch == Architecture.Reference) return x.mean([1]);      // (B, D)
        var keep = tokens.ne(Config.PadId).unsqueeze(-1).to(x.dtype);        // (B, T, 1)
        return (x * keep).sum(1) / keep.sum(1).clamp_min(1);                 // (B, D)
    }
}
