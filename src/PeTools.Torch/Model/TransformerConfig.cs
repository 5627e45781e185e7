using PeTools.Core.Errors;
using PeTools.Torch.Positional;

namespace PeTools.Torch.Model;

/// <summary>Which backbone (see <see cref="Transformer"/> for both, in full).</summary>
public enum Architecture
{
    /// <summary>The reference trans.py backbone: K/V from the layer-0 embeddings in every layer, LN on queries only, no masks, mean over all positions.</summary>
    Reference,

    /// <summary>A standard pre-LN self-attention encoder: key-padding mask, optional causal mask, GELU, final LN, masked mean pooling.</summary>
    Standard,
}

/// <summary>Which attention (registered in <see cref="Attentions"/>).</summary>
public enum AttentionKind
{
    /// <summary>Multi-head attention with q/k/v/o projections.</summary>
    Mha,

    /// <summary>DeepSeek-V3 multi-head latent attention with a decoupled rotary branch.</summary>
    Mla,
}

/// <summary>
/// A model's full configuration; the defaults are the paper's reference code (shared/paper/README.md and
/// shared/paper/reference-code.md §9). <see cref="Validate"/> (called by <see cref="Transformer"/>) throws
/// <see cref="UsageError"/> naming the option as <c>--kebab-case</c> of the property.
/// </summary>
public sealed record TransformerConfig
{
    public int Vocab { get; init; } = 574;
    public int Classes { get; init; } = 574;
    public int DModel { get; init; } = 256;
    public int DFF { get; init; } = 512;
    public int Heads { get; init; } = 16;
    public int Layers { get; init; } = 6;
    public double Dropout { get; init; } = 0.1;
    public int MaxLen { get; init; } = 128;
    public Architecture Arch { get; init; } = Architecture.Reference;
    public AttentionKind Attention { get; init; } = AttentionKind.Mha;

    /// <summary>A key of <see cref="PositionalEncodings"/>.</summary>
    public string Pe { get; init; } = "rope";

    public PeOptions PeOptions { get; init; } = new();
    public bool Causal { get; init; }

    /// <summary>MLA latent width (d_c) of c_kv and c_q.</summary>
    public int DCompress { get; init; } = 128;

    /// <summary>
    /// The "timing" of coupling: the layers whose attention gets the PE's attention-level hooks (RotateQueryKey,
    /// LogitBias); null = all layers. The embedding-level hook is unaffected (it happens before any layer).
    /// </summary>
    public IReadOnlyList<int>? PeLayers { get; init; }

    public int PadId { get; init; }

    public int HeadDim => DModel / Heads;

    /// <summary>True when layer <paramref name="layer"/> gets the PE's attention-level hooks.</summary>
    public bool PeActiveIn(int layer) => PeLayers is null || PeLayers.Contains(layer);

    /// <summary>Checks every option that does not depend on the PE (each PE checks its own when built).</summary>
    public void Validate()
    {
        Positive("--vocab", Vocab);
        Positive("--classes", Classes);
        Positive("--d-model", DModel);
        Positive("--d-ff", DFF);
        Positive("--heads", Heads);
        Positive("--layers", Layers);
        Positive("--max-len", MaxLen);
        Positive("--d-compress", DCompress);
        if (DModel % Heads != 0)
            throw UsageError.Option("--heads", $"a divisor of --d-model {DModel}", Heads);
        if (!(Dropout >= 0 && Dropout < 1))
            throw UsageError.Option("--dropout", "a probability in [0, 1)", Dropout);
        if (PadId < 0 || PadId >= Vocab)
            throw UsageError.Option("--pad-id", $"a token id in 0..{Vocab - 1}", PadId);
        if (!Enum.IsDefined(Arch))
            throw UsageError.Option("--arch", "reference or standard", Arch);
        if (!Enum.IsDefined(Attention))
            throw UsageError.Option("--attention", "mha or mla", Attention);
        foreach (var layer in PeLayers ?? [])
            if (layer < 0 || layer >= Layers)
                throw UsageError.Option("--pe-layers", $"layer indices in 0..{Layers - 1}", layer);
        _ = PositionalEncodings.Find(Pe);
    }

    private static void Positive(string option, int value)
    {
        if (value <= 0) throw UsageError.Option(option, "a positive integer", value);
    }
}
