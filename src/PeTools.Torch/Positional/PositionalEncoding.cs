using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>How position enters the attention logits (paper.md §3: the PE taxonomy).</summary>
public enum Coupling
{
    /// <summary>Position never enters (NoPE): only data and architecture can supply it.</summary>
    None,

    /// <summary>Position is added: to the embeddings (absolute PEs) or to the logits as a Toeplitz bias B (paper.md §2, L_Add).</summary>
    Additive,

    /// <summary>Position multiplies every content interaction through the Toeplitz kernel G_e (paper.md §2, L_RoPE).</summary>
    Multiplicative,
}

/// <summary>
/// One positional encoding. The three hooks are the three places a PE can couple to content (STYLE.md §2);
/// attention calls all three unconditionally, so a PE is a class and never a string switch in the model.
/// Positions are implicit: token t of a sequence sits at position t (0-based), padding included, as in the reference.
/// </summary>
/// <remarks>
/// Non-learned tables (frequencies, slopes) are registered with <c>register_buffer(field, t, persistent: false)</c>
/// before <c>RegisterComponents()</c>, so they follow <c>.to(device)</c> but never land in checkpoints. Read them with
/// <c>get_buffer(name)</c>, never through the field: <c>.to(cuda)</c> moves the registered buffer, the field keeps the CPU copy.
/// Hooks return new tensors (or <c>alias()</c>) and never dispose their inputs (STYLE.md §12).
/// </remarks>
public abstract class PositionalEncoding(string name) : nn.Module(name)
{
    public abstract Coupling Coupling { get; }

    /// <summary>Adds position to the token embeddings x (B, T, D). Absolute PEs override this.</summary>
    public virtual Tensor AddToEmbedding(Tensor x) => x.alias();

    /// <summary>Rotates/scales per-head queries and keys (B, H, T, dh) of attention layer <paramref name="layer"/>.</summary>
    public virtual (Tensor Q, Tensor K) RotateQueryKey(int layer, Tensor q, Tensor k) => (q.alias(), k.alias());

    /// <summary>
    /// The bias (H, Tq, Tk) added to the logits of layer <paramref name="layer"/>, after the 1/sqrt(dh) scaling
    /// as the reference does; null when the PE has none.
    /// </summary>
    public virtual Tensor? LogitBias(int layer, long queryLength, long keyLength, Device? device = null) => null;

    /// <summary>
    /// When <see cref="LogitBias"/> is exactly −m_h·|i − j| for queries and keys at positions 0, 1, … (ALiBi): the per-head
    /// slopes m_h (H) fp32 on <paramref name="device"/>, so an attention kernel can compute the bias instead of reading
    /// it (<see cref="Kernels.FusedSmallAttention"/>); null for every other PE.
    /// </summary>
    public virtual Tensor? DistanceSlopes(int layer, Device device) => null;

    /// <summary>
    /// When <see cref="LogitBias"/> is exactly B[j − i + L − 1, h] of a learned table B (2L − 1, H) (the relative PE):
    /// layer <paramref name="layer"/>'s B, a view with its gradient, so an attention kernel can read the table and
    /// return its gradient instead of the (H, T, S) bias (<see cref="Kernels.FusedSmallAttention"/>); null for every other PE.
    /// </summary>
    public virtual Tensor? RelativeTable(int layer) => null;

    /// <summary>
    /// The learned parameters that attention layer <paramref name="layer"/> alone uses, each as a parameter and the index
    /// along its dim 0 of the layer's slice (per-layer tables are stacked as (layers, ...)). Parameters shared by all
    /// layers (T5's table, absolute embeddings) belong to no layer. Curvature scopes read this
    /// (pe-spectrum hessian --scope layer:L:attn).
    /// </summary>
    public virtual IEnumerable<(TorchSharp.Modules.Parameter Parameter, long Index)> LayerParameters(int layer) => [];

    /// <summary>Positions 0..length-1 on the device of <paramref name="like"/>, as float64 (exact for any length we meet).</summary>
    private readonly Dictionary<string, Tensor> _tableCopies = new(StringComparer.Ordinal);

    /// <summary>
    /// A registered non-learned table on <paramref name="device"/>, copied there once and cached. TorchSharp 0.107's
    /// <c>Module.to(cuda)</c> moves parameters but leaves these buffers where they were (seen on the H100), so the
    /// tables follow the device of the tensors they meet instead.
    /// </summary>
    protected Tensor Table(string name, Device device)
    {
        var t = get_buffer(name) ?? throw new InvalidOperationException($"{GetType().Name} registered no buffer '{name}'");
        if (t.device_type == device.type && t.device_index == device.index) return t;
        var key = $"{name}@{device.type}:{device.index}";
        if (!_tableCopies.TryGetValue(key, out var copy))
            _tableCopies[key] = copy = t.to(device).DetachFromDisposeScope();
        return copy;
    }

    protected static Tensor Positions(long length, Tensor like) => arange(length, dtype: float64, device: like.device);

    /// <summary>The signed offsets j - i, (Tq, Tk) int64, on the device of <paramref name="like"/>.</summary>
    protected static Tensor Offsets(long queryLength, long keyLength, Tensor like)
    {
        var i = arange(queryLength, dtype: int64, device: like.device).unsqueeze(1); // (Tq, 1)
        var j = arange(keyLength, dtype: int64, device: like.device).unsqueeze(0);   // (1, Tk)
        return j - i;                                                                 // (Tq, Tk)
    }
}
