using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// Multi-head attention, all four projections with bias (reference trans.py). Queries come from queryInput, keys
/// and values from keyValueInput: the block passes the layer-0 embeddings (Reference) or LN1(x) (Standard).
/// State-dict keys: <c>blocks.{l}.attn.{q,k,v,o}_proj.{weight,bias}</c>; head h owns rows [h·dh, (h+1)·dh) of
/// q/k/v_proj (the reference's <c>{q,k,v}_linear</c> / <c>out_linear</c>, renamed; a loader maps them 1:1).
/// </summary>
public sealed class MultiHeadAttention : Attention
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly LayerPositionalEncoding positional;
    private readonly int heads;
    private readonly int headDim;

    public MultiHeadAttention(TransformerConfig config, LayerPositionalEncoding positional)
        : base(nameof(MultiHeadAttention), config)
    {
        heads = config.Heads;
        headDim = config.HeadDim;
        this.positional = positional;
        q_proj = nn.Linear(config.DModel, config.DModel);
        k_proj = nn.Linear(config.DModel, config.DModel);
        v_proj = nn.Linear(config.DModel, config.DModel);
        o_proj = nn.Linear(config.DModel, config.DModel);
        RegisterComponents();
    }

    /// <summary>The value projection; head h owns rows [h·dh, (h+1)·dh) of its weight and bias.</summary>
    public override Linear ValueProjection => v_proj;
    public override Linear QueryProjection => q_proj;
    public override Linear KeyProjection => k_proj;
    public override IReadOnlyList<Linear> MemoryProjections => [k_proj, v_proj];

    /// <summary>projectedMemory: k_proj and v_proj of keyValueInput, (B, S, D) each.</summary>
    public override Tensor forward(Tensor queryInput, IReadOnlyList<Tensor> projectedMemory, Tensor? mask)
    {
        long b = queryInput.shape[0], t = queryInput.shape[1], s = projectedMemory[0].shape[1];
        var q = Project(q_proj, queryInput).view(b, t, heads, headDim).transpose(1, 2);    // (B, H, T, dh)
        var k = projectedMemory[0].view(b, s, heads, headDim).transpose(1, 2);         // (B, H, S, dh)
        var v = projectedMemory[1].view(b, s, heads, headDim).transpose(1, 2);         // (B, H, S, dh)

        // Multiplicative coupling rotates q and k; additive coupling returns a bias (paper.md §2-§3).
        var (qp, kp) = positional.RotateQueryKey(q, k);                                 // (B, H, T|S, dh)
        var perHead = Attend(qp, kp, v, positional, mask);                               // (B, H, T, dh), bias inside
        var merged = perHead.transpose(1, 2).reshape(b, t, heads * headDim);             // (B, T, D)
        return Project(o_proj, merged);                                                   // (B, T, D)
    }
}
