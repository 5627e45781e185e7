namespace PeTools.Torch.Model;

/// <summary>One registry line per attention kind: the key <c>--attention</c> takes, its enum, a description, a factory.</summary>
public sealed record AttentionEntry(
    string Key, AttentionKind Kind, string Description, Func<TransformerConfig, LayerPositionalEncoding, Attention> Create);

/// <summary>The registry of attention kinds (STYLE.md §1). MLA is an attention kind, not a PE (STYLE.md §2).</summary>
public static class Attentions
{
    public static IReadOnlyList<AttentionEntry> All { get; } =
    [
        new("mha", AttentionKind.Mha, "multi-head attention, q/k/v/o projections with bias", (c, pe) => new MultiHeadAttention(c, pe)),
        new("mla", AttentionKind.Mla, "DeepSeek-V3 latent attention, decoupled rotary branch shared by heads (multiplicative PEs only)", (c, pe) => new DecoupledRopeAttention(c, pe)),
    ];

    public static AttentionEntry For(AttentionKind kind) => All.Single(e => e.Kind == kind);
}
