using PeTools.Torch.Model;

namespace PeTools.Torch.Positional;

/// <summary>NoPE (reference <c>nope</c>): every hook is the base class's no-op; logits are content only (paper.md §3).</summary>
public sealed class NoPositionalEncoding : PositionalEncoding
{
    public NoPositionalEncoding(TransformerConfig config) : base(nameof(NoPositionalEncoding))
    {
        _ = config;
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.None;
}
