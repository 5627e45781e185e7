using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// Trainable absolute PE, the reference's <c>random</c> ("Random Initialization" in the paper's figures):
/// an Embedding(max_len, d_model) indexed by position, PyTorch's default N(0, 1) init, added to the embeddings.
/// State-dict key: <c>pe.embedding.weight</c> (max_len, d_model).
/// </summary>
public sealed class LearnedAbsoluteEncoding : PositionalEncoding
{
    private readonly Embedding embedding;
    private readonly int maxLen;

    public LearnedAbsoluteEncoding(TransformerConfig config) : base(nameof(LearnedAbsoluteEncoding))
    {
        maxLen = config.MaxLen;
        embedding = nn.Embedding(config.MaxLen, config.DModel); // N(0, 1), as nn.Embedding in PyTorch
        RegisterComponents();
    }

    public override Coupling Coupling => Coupling.Additive;

    public override Tensor AddToEmbedding(Tensor x)
    {
        var length = x.shape[1];
        if (length > maxLen)
            throw UsageError.Option("--max-len", $"at least the sequence length {length} for the learned PE", maxLen);
        var positions = arange(length, dtype: int64, device: x.device); // (T)
        return x + embedding.call(positions);                           // (B, T, D)
    }
}
