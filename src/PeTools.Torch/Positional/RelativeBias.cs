using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// The reference's <c>relative</c> ("Relative PE" in the figures; not T5: no buckets): a learned scalar per head for
/// every signed offset −(max_len−1)..max_len−1, a separate table per layer, init N(0, 0.02):
/// bias_h(i, j) = B_l[j − i + max_len − 1, h]. State-dict key: <c>pe.tables</c> (layers, 2·max_len − 1, H), whose
/// slice [l] is the reference's per-layer table B_l.
/// </summary>
public sealed class RelativeBias : PositionalEncoding
{
    private readonly Parameter tables;
    private readonly int maxLen;

    public RelativeBias(TransformerConfig config) : base(nameof(RelativeBias))
    {
        maxLen = config.MaxLen;
        tables = new Parameter(normal(0, 0.02, [config.Layers, 2 * config.MaxLen - 1, config.Heads]));
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.Additive;

    /// <summary>Layer l's table B_l = tables[l].</summary>
    public override IEnumerable<(Parameter Parameter, long Index)> LayerParameters(int layer) => [(tables, layer)];

    /// <summary>B_l itself, (2·max_len − 1, H): the bias above is B_l[j − i + max_len − 1, h] exactly.</summary>
    public override Tensor? RelativeTable(int layer) => tables[layer];

    public override Tensor? LogitBias(int layer, long queryLength, long keyLength, Device? device = null)
    {
        var longest = Math.Max(queryLength, keyLength);
        if (longest > maxLen)
            throw UsageError.Option("--max-len", $"at least the sequence length {longest} for the relative PE", maxLen);
        var index = Offsets(queryLength, keyLength, tables) + (maxLen - 1);           // (Tq, Tk) in 0..2·max_len−2
        var values = tables[layer].index_select(0, index.flatten());                 // (Tq·Tk, H)
        return values.view(queryLength, keyLength, -1).permute(2, 0, 1);             // (H, Tq, Tk)
    }
}
