using PeTools.Torch.Positional;
using static TorchSharp.torch;

namespace PeTools.Torch.Model;

/// <summary>
/// The PE as attention layer <c>layer</c> sees it. Borrowed, not owned: it is a plain object (not a Module field) so
/// RegisterComponents does not register the PE under every block; the <see cref="Transformer"/> owns it once, as
/// <c>pe</c>. In a layer outside <see cref="TransformerConfig.PeLayers"/> both hooks are silent (the paper's timing
/// experiments), so the attention code still calls them unconditionally.
/// </summary>
public sealed class LayerPositionalEncoding(PositionalEncoding pe, int layer, bool active)
{
    public PositionalEncoding Encoding => pe;
    public int Layer => layer;
    public bool Active => active;

    public (Tensor Q, Tensor K) RotateQueryKey(Tensor q, Tensor k) =>
        active ? pe.RotateQueryKey(layer, q, k) : (q.alias(), k.alias());

    public Tensor? LogitBias(long queryLength, long keyLength, Device device) =>
        active ? pe.LogitBias(layer, queryLength, keyLength, device) : null;

    /// <summary>The slopes m_h when this layer's bias is −m_h·|i − j| (<see cref="PositionalEncoding.DistanceSlopes"/>), else null.</summary>
    public Tensor? DistanceSlopes(Device device) => active ? pe.DistanceSlopes(layer, device) : null;

    /// <summary>This layer's learned relative table when its bias is read from one (<see cref="PositionalEncoding.RelativeTable"/>), else null.</summary>
    public Tensor? RelativeTable() => active ? pe.RelativeTable(layer) : null;
}
