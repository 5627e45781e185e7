using PeTools.Core.Errors;
using PeTools.Torch.Positional;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// Multi-head latent attention (DeepSeek-V2/V3), dimensions as the reference mla.py (reference-code.md §3.3):
/// c_kv = W_DKV·x, c_q = W_DQ·x (d → d_c); k_c = W_UK·c_kv, v = W_UV·c_kv, q_c = W_UQ·c_q (d_c → H·dh); a decoupled
/// rotary branch shared by all heads, k_r = PE(W_KR·x) (d → dh) and q_r = PE(W_QR·c_q) (d_c → dh) (one q_r for all
/// heads, as the reference; DeepSeek has one per head); q = [q_c; q_r], k = [k_c; k_r], scale 1/√(2·dh); no biases.
/// The branch takes the chosen PE's RotateQueryKey, so the PE must be multiplicative; unlike the reference's
/// RotaryEmbedding (sin/cos mixed up: not a rotation), a registry RoPE is a true rotation and the rotary logits depend
/// on i − j only. Content (q_c·k_c) is position-free: position enters only through the rotary half.
/// In the Reference architecture the block hands the layer-0 embeddings as keyValueInput, so c_kv and k_r come from
/// memory and c_q from LN1(x), keeping that backbone's K/V-from-memory rule.
/// State-dict keys: <c>blocks.{l}.attn.{kv_down,q_down,k_up,v_up,q_up,k_rope,q_rope,o_proj}.weight</c>;
/// head h owns rows [h·dh, (h+1)·dh) of k_up, v_up and q_up.
/// </summary>
public sealed class DecoupledRopeAttention : Attention
{
    private readonly Linear kv_down, q_down, k_up, v_up, q_up, k_rope, q_rope, o_proj;
    private readonly LayerPositionalEncoding positional;
    private readonly int heads;
    private readonly int headDim;

    public DecoupledRopeAttention(TransformerConfig config, LayerPositionalEncoding positional)
        : base(nameof(DecoupledRopeAttention), config)
    {
        if (positional.Encoding.Coupling != Coupling.Multiplicative)
            throw UsageError.Option("--pe", "a multiplicative PE for --attention mla (its decoupled rotary branch)", config.Pe);
        heads = config.Heads;
        headDim = config.HeadDim;
        this.positional = positional;
        int d = config.DModel, c = config.DCompress, hd = config.Heads * config.HeadDim;
        kv_down = nn.Linear(d, c, hasBias: false);
        q_down = nn.Linear(d, c, hasBias: false);
        k_up = nn.Linear(c, hd, hasBias: false);
        v_up = nn.Linear(c, hd, hasBias: false);
        q_up = nn.Linear(c, hd, hasBias: false);
        k_rope = nn.Linear(d, headDim, hasBias: false);
        q_rope = nn.Linear(c, headDim, hasBias: false);
        o_proj = nn.Linear(hd, d, hasBias: false);
        RegisterComponents();
    }

    /// <summary>W_UV; head h owns rows [h·dh, (h+1)·dh): zeroing them is the correct MLA head ablation.</summary>
    public override Linear ValueProjection => v_up;

    /// <summary>W_UQ and W_UK: the per-head rows; the shared rotary branch (q_rope, k_rope) belongs to no single head.</summary>
    public override Linear QueryProjection => q_up;
    public override Linear KeyProjection => k_up;
    public override IReadOnlyList<Linear> MemoryProjections => [kv_down, k_rope];

    /// <summary>projectedMemory: kv_down (B, S, d_c) and k_rope (B, S, dh) of keyValueInput.</summary>
    public override Tensor forward(Tensor queryInput, IReadOnlyList<Tensor> projectedMemory, Tensor? mask)
    {
        long b = queryInput.shape[0], t = queryInput.shape[1], s = projectedMemory[0].shape[1];
        var cKv = projectedMemory[0];                                                   // (B, S, d_c)
        var cQ = q_down.call(queryInput);                                               // (B, T, d_c)
        var kC = k_up.call(cKv).view(b, s, heads, headDim).transpose(1, 2);             // (B, H, S, dh)
        var v = v_up.call(cKv).view(b, s, heads, headDim).transpose(1, 2);              // (B, H, S, dh)
        var qC = q_up.call(cQ).view(b, t, heads, headDim).transpose(1, 2);              // (B, H, T, dh)
        var kR = projectedMemory[1].unsqueeze(1);                                       // (B, 1, S, dh)
        var qR = q_rope.call(cQ).unsqueeze(1);                                          // (B, 1, T, dh)

        // Position enters only the shared rotary half, multiplicatively (paper.md §2, L_RoPE on that subspace).
        var (qRot, kRot) = positional.RotateQueryKey(qR, kR);                           // (B, 1, T|S, dh)
        var bias = positional.LogitBias(t, s, qC.device);                               // null for multiplicative PEs
        var perHead = AttendSharedRotary(qC, kC, v, qRot, kRot, bias, mask);            // (B, H, T, dh)
        var merged = perHead.transpose(1, 2).reshape(b, t, heads * headDim);            // (B, T, H·dh)
        return o_proj.call(merged);                                                     // (B, T, D)
    }
}
