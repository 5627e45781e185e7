using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Model;

/// <summary>The reference trans.py backbone, quirks included (reference-code.md §3.1).</summary>
public class ReferenceArchitectureTests
{
    [Theory]
    [InlineData("nope", 3_457_086)]
    [InlineData("sinusoidal", 3_457_086)]
    [InlineData("alibi", 3_457_086)]
    [InlineData("alibi-std", 3_457_086)]
    [InlineData("rope", 3_457_086)]
    [InlineData("rope-abs", 3_457_086)]
    [InlineData("xpos", 3_457_086)]
    [InlineData("relative", 3_457_086 + 24_480)]
    [InlineData("learned", 3_457_086 + 32_768)]
    [InlineData("t5", 3_457_086 + 32 * 16)]
    [InlineData("kerple", 3_457_086 + 2 * 6 * 16)]
    public void Reference_parameter_count_matches_the_paper_code(string key, long expected)
    {
        // Given the default config (the reference's: vocab = classes = 574, d 256, 16 heads, 6 layers)
        var config = new TransformerConfig { Pe = key };

        // When the model is built
        using var model = new Transformer(config);

        // Then it has trans.py's parameter count (reference-code.md §3.1)
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Nope_reference_model_is_permutation_equivariant_before_pooling()
    {
        // Given a NoPE reference model, a batch (padding included: the reference does not mask it) and a permutation
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("nope"));
        var tokens = Tiny.Tokens(2, 9, seed: 4);
        tokens[1, TensorIndex.Slice(6)] = tensor(0L);
        var permutation = tensor(new long[] { 3, 8, 0, 5, 1, 7, 2, 6, 4 });
        string[] names = ["blocks.0.attn.z", "blocks.1.resid_pre", "blocks.1.attn.z"];

        // When both orders run
        var original = Tiny.Capture(model, tokens, names);
        var permuted = Tiny.Capture(model, tokens.index_select(1, permutation), names);

        // Then every hooked activation is permuted along positions (z: dim 2, resid: dim 1), and the pooled logits agree
        foreach (var name in names)
        {
            var positionDim = name.EndsWith(".z") ? 2 : 1;
            Assert.True(Tiny.MaxAbsDiff(original[name].index_select(positionDim, permutation), permuted[name]) < 1e-10, name);
        }
        using var _ = no_grad();
        Assert.True(Tiny.MaxAbsDiff(model.call(tokens), model.call(tokens.index_select(1, permutation))) < 1e-10);
    }

    [Fact]
    public void Reference_values_come_from_the_layer_zero_embeddings_in_every_layer()
    {
        // Given a reference model (rope) and a batch
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("rope"));
        var tokens = Tiny.Tokens(2, 8, seed: 5);
        var seen = Tiny.Capture(model, tokens, "blocks.0.resid_pre", "blocks.1.attn.pattern", "blocks.1.attn.z");

        // When layer 1's values are recomputed from the memory (block 0's input = embeddings + PE), un-normalised
        using var _ = no_grad();
        var values = model.Blocks[1].Attention.ValueProjection.call(seen["blocks.0.resid_pre"])
            .view(2, 8, Tiny.Heads, Tiny.HeadDim).transpose(1, 2);         // (B, H, T, dh)

        // Then layer 1's per-head output is its attention pattern times those values
        Assert.True(Tiny.MaxAbsDiff(seen["blocks.1.attn.pattern"].matmul(values), seen["blocks.1.attn.z"]) < 1e-10);
    }

    [Fact]
    public void Reference_model_attends_to_and_pools_padding()
    {
        // Given a reference model and a batch
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("rope"));
        var tokens = Tiny.Tokens(2, 8, seed: 6);
        using var _ = no_grad();

        // When padding is appended
        var padded = cat([tokens, zeros(2, 4, dtype: int64)], dim: 1);

        // Then the logits change: the reference masks no padding and averages over all positions
        Assert.True(Tiny.MaxAbsDiff(model.call(tokens), model.call(padded)) > 1e-4);
    }
}
