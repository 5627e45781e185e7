using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Positional;

/// <summary>Translation invariance (Toeplitz logits, paper.md §2-§3), at the PE's hooks and inside the model.</summary>
public class RelativePositionTests
{
    private const int T = 10;

    /// <summary>PEs whose attention-level hooks inject the offset i − j.</summary>
    private static readonly string[] OffsetCoupled = ["rope", "rope-abs", "xpos", "alibi", "alibi-std", "relative", "t5", "kerple"];

    /// <summary>PEs whose attention-level hooks are no-ops (position, if any, enters at the embeddings).</summary>
    private static readonly string[] AttentionFree = ["nope", "sinusoidal", "learned"];

    /// <summary>PEs whose model logits stay Toeplitz under constant content: nothing absolute at the embeddings.</summary>
    public static TheoryData<string> RelativePes() => new(["nope", "rope", "xpos", "alibi", "alibi-std", "relative", "t5", "kerple"]);

    public static TheoryData<string> AbsolutePes() => new(["sinusoidal", "learned", "rope-abs"]);

    [Fact]
    public void Every_registered_pe_is_classified_for_these_tests()
    {
        // Given the registry / When its keys are compared with the two lists above
        var classified = OffsetCoupled.Concat(AttentionFree).Order();

        // Then each key is in exactly one list, so a new PE cannot skip the invariance tests
        Assert.Equal(PositionalEncodings.Keys.Order(), classified);
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Attention_level_hooks_depend_only_on_offset_in_every_layer(string key)
    {
        // Given a PE and per-head q, k that are the same vector at every position
        using var scope = NewDisposeScope();
        var config = Tiny.Config(key);
        using var pe = PositionalEncodings.Create(config);
        pe.to(ScalarType.Float64);
        var q = randn(1, Tiny.Heads, 1, Tiny.HeadDim, dtype: float64).expand(1, Tiny.Heads, T, Tiny.HeadDim);
        var k = randn(1, Tiny.Heads, 1, Tiny.HeadDim, dtype: float64).expand(1, Tiny.Heads, T, Tiny.HeadDim);

        for (var layer = 0; layer < config.Layers; layer++)
        {
            // When the layer's hooks are applied and logits formed as attention forms them
            var (qp, kp) = pe.RotateQueryKey(layer, q, k);
            var logits = qp.matmul(kp.transpose(-2, -1)).div(Math.Sqrt(Tiny.HeadDim));
            var bias = pe.LogitBias(layer, T, T);
            if (bias is not null) logits = logits + bias;

            // Then every head's logits are Toeplitz; offset-coupled PEs vary with the offset, the others are constant
            Assert.True(Tiny.ToeplitzGap(logits) < 1e-12, $"layer {layer}: not a function of i − j");
            var spread = Tiny.LeastHeadSpread(logits);
            if (OffsetCoupled.Contains(key)) Assert.True(spread > 1e-4, $"layer {layer}: logits ignore position");
            else Assert.True(spread < 1e-12, $"layer {layer}: an attention-free PE changed logits");
        }
    }

    [Theory]
    [MemberData(nameof(RelativePes))]
    public void Relative_pe_model_logits_depend_only_on_offset_for_constant_content(string key)
    {
        // Given a reference model and a sequence repeating one token (content equal at every position)
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key));
        var tokens = full(2, T, 5, dtype: int64);

        // When the first layer's logits are read through the hook
        var logits = Tiny.Capture(model, tokens, "blocks.0.attn.logits")["blocks.0.attn.logits"];

        // Then they are Toeplitz in every head and batch row, and vary with the offset unless there is no PE
        Assert.Equal([2, Tiny.Heads, T, T], logits.shape);
        Assert.True(Tiny.ToeplitzGap(logits) < 1e-10);
        Assert.Equal(key != "nope", Tiny.LeastHeadSpread(logits) > 1e-4);
    }

    [Theory]
    [MemberData(nameof(AbsolutePes))]
    public void Absolute_pe_model_logits_are_not_a_function_of_offset_alone(string key)
    {
        // Given a reference model with an absolute (or hybrid) PE and constant content
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key));
        var tokens = full(1, T, 5, dtype: int64);

        // When the first layer's logits are read
        var logits = Tiny.Capture(model, tokens, "blocks.0.attn.logits")["blocks.0.attn.logits"];

        // Then they are not Toeplitz: the absolute position of the query matters
        Assert.True(Tiny.ToeplitzGap(logits) > 1e-4);
    }

    [Theory]
    [InlineData("rope")]
    [InlineData("alibi")]
    public void Pe_layers_silence_the_attention_hooks_outside_the_chosen_layers(string key)
    {
        // Given a PE coupled only in layer 1 ("PE from layer 1 on"), and constant content
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key) with { PeLayers = [1] });
        var tokens = full(1, T, 5, dtype: int64);

        // When both layers' logits are read
        var seen = Tiny.Capture(model, tokens, "blocks.0.attn.logits", "blocks.1.attn.logits");

        // Then layer 0 is position-free (constant) and layer 1 is position-coupled (Toeplitz, varying)
        Assert.True(Tiny.LeastHeadSpread(seen["blocks.0.attn.logits"]) < 1e-10);
        Assert.True(Tiny.ToeplitzGap(seen["blocks.1.attn.logits"]) < 1e-10);
        Assert.True(Tiny.LeastHeadSpread(seen["blocks.1.attn.logits"]) > 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Partial_rope_model_heads_from_k_on_are_position_free(int k)
    {
        // Given a reference model with RoPE on the first k heads and constant content
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("rope") with { PeOptions = new PeOptions(RopeHeads: k) });
        var tokens = full(1, T, 5, dtype: int64);

        // When the first layer's logits are read
        var logits = Tiny.Capture(model, tokens, "blocks.0.attn.logits")["blocks.0.attn.logits"];

        // Then heads < k vary with the offset, heads ≥ k are constant
        Assert.True(Tiny.LeastHeadSpread(logits.narrow(1, 0, k)) > 1e-4);
        var rest = logits.narrow(1, k, Tiny.Heads - k);
        Assert.True((rest.amax([-1, -2]) - rest.amin([-1, -2])).max().item<double>() < 1e-10);
    }
}
