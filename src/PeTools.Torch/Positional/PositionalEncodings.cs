using PeTools.Core.Errors;
using PeTools.Torch.Model;

namespace PeTools.Torch.Positional;

/// <summary>One registry line: the key <c>--pe</c> takes, the coupling it has (listable without building it), a one-line description, and how to build it.</summary>
public sealed record PositionalEncodingEntry(
    string Key, Coupling Coupling, string Description, Func<TransformerConfig, PositionalEncoding> Create);

/// <summary>
/// THE registry of positional encodings (STYLE.md §1): it drives <c>--pe</c> parsing, <c>pe-train list-pe</c> and the
/// test matrix. Adding a PE = one file in this folder + one line here; the shared invariant tests then cover it.
/// </summary>
public static class PositionalEncodings
{
    public static IReadOnlyList<PositionalEncodingEntry> All { get; } =
    [
        new("nope", Coupling.None, "no positional encoding (reference nope)", c => new NoPositionalEncoding(c)),
        new("sinusoidal", Coupling.Additive, "interleaved sin/cos absolute PE added to embeddings (reference absolute)", c => new SinusoidalEncoding(c)),
        new("learned", Coupling.Additive, "learned absolute Embedding(max_len, d_model), N(0,1), added (reference random)", c => new LearnedAbsoluteEncoding(c)),
        new("rope", Coupling.Multiplicative, "pure RoPE on q,k (options: base, rotary fraction, first k heads)", c => new RotaryEncoding(c)),
        new("rope-abs", Coupling.Multiplicative, "RoPE plus additive [sin|cos] block PE (reference trans.py rope; Ablation 1)", c => new RotaryAbsoluteEncoding(c)),
        new("xpos", Coupling.Multiplicative, "xPos: RoPE with exponential decay scale, zeta^(n/gamma) on q, inverse on k", c => new XposEncoding(c)),
        new("alibi", Coupling.Additive, "symmetric ALiBi -m_h|i-j|, reference slopes m_h = exp(-h/H)", AlibiBias.Reference),
        new("alibi-std", Coupling.Additive, "ALiBi with the paper's slopes 2^(-8(h+1)/H)", AlibiBias.Standard),
        new("relative", Coupling.Additive, "learned per-layer bias per head for every offset (reference relative)", c => new RelativeBias(c)),
        new("t5", Coupling.Additive, "T5 bucketed relative bias, bidirectional, 32 buckets to distance 128, shared by layers", c => new T5RelativeBias(c)),
        new("kerple", Coupling.Additive, "KERPLE-log learnable bias -r1 log(1 + r2|i-j|), per layer and head", c => new KerpleBias(c)),
    ];

    public static IEnumerable<string> Keys => All.Select(e => e.Key);

    /// <summary>The entry for <paramref name="key"/>; a <see cref="UsageError"/> naming the valid keys otherwise.</summary>
    public static PositionalEncodingEntry Find(string key) =>
        All.FirstOrDefault(e => e.Key == key)
        ?? throw UsageError.Option("--pe", $"one of {string.Join(", ", Keys)}", key);

    /// <summary>Builds the PE that <paramref name="config"/> names.</summary>
    public static PositionalEncoding Create(TransformerConfig config) => Find(config.Pe).Create(config);
}
