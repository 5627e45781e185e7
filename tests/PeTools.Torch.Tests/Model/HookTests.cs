using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Model;

/// <summary>Named hook points and the paper's head ablation through them.</summary>
public class HookTests
{
    public static TheoryData<Architecture, AttentionKind> Backbones() => new()
    {
        { Architecture.Reference, AttentionKind.Mha },
        { Architecture.Standard, AttentionKind.Mha },
        { Architecture.Reference, AttentionKind.Mla },
        { Architecture.Standard, AttentionKind.Mla },
    };

    [Fact]
    public void Hook_points_are_named_like_transformer_lens_and_found_by_name()
    {
        // Given a two-layer model
        using var model = new Transformer(Tiny.Config("rope"));

        // When its hook points are listed
        var names = model.HookPoints.Keys.Order().ToList();

        // Then each layer has resid_pre, attn.logits, attn.pattern, attn.z; lookup by name finds the block's own
        var expected = Enumerable.Range(0, 2)
            .SelectMany(l => new[] { $"blocks.{l}.resid_pre", $"blocks.{l}.attn.logits", $"blocks.{l}.attn.pattern", $"blocks.{l}.attn.z" })
            .Order().ToList();
        Assert.Equal(expected, names);
        Assert.Same(model.Blocks[1].Attention.Z, model.Hook("blocks.1.attn.z"));
        Assert.Same(model.Blocks[0].ResidPre, model.Hook("blocks.0.resid_pre"));
        Assert.Equal("blocks.1.attn.pattern", model.Blocks[1].Attention.Pattern.Path);
        Assert.Throws<UsageError>(() => model.Hook("blocks.9.attn.z"));
    }

    [Theory]
    [MemberData(nameof(Backbones))]
    public void Zero_ablating_a_head_on_z_equals_zeroing_its_value_rows(Architecture arch, AttentionKind attention)
    {
        // Given a model A, a copy B of its weights, and head 2 of layer 1
        using var scope = NewDisposeScope();
        const int layer = 1, head = 2;
        var config = Tiny.Config("rope", arch, attention) with { Causal = arch == Architecture.Standard };
        using var a = Tiny.Model(config, float64: false);
        using var b = Tiny.Model(config, float64: false);
        b.load_state_dict(a.state_dict());
        var tokens = Tiny.Tokens(3, 10, seed: 10);
        tokens[1, TensorIndex.Slice(7)] = tensor(0L);
        var valueWeight = a.Blocks[layer].Attention.ValueProjection.weight!;
        var weightBefore = valueWeight.detach().clone();
        using var _ = no_grad();
        var baseline = a.call(tokens);

        // When A's head is zeroed by a forward hook on z, and B's value rows (and bias entries) are zeroed (transvis.py)
        var keep = ones(Tiny.Heads, dtype: float32);
        keep[head] = tensor(0f);
        var remover = a.Hook($"blocks.{layer}.attn.z").register_forward_hook((_, _, z) => z * keep.view(1, -1, 1, 1));
        Tensor hooked;
        try { hooked = a.call(tokens); }
        finally { remover.remove(); }
        var values = b.Blocks[layer].Attention.ValueProjection;
        values.weight!.narrow(0, head * Tiny.HeadDim, Tiny.HeadDim).zero_();
        values.bias?.narrow(0, head * Tiny.HeadDim, Tiny.HeadDim).zero_();
        var zeroedRows = b.call(tokens);

        // Then both ablations give the same logits, the ablation mattered, and A's weights were never touched
        Assert.True(Tiny.MaxAbsDiff(hooked, zeroedRows) < 1e-5);
        Assert.True(Tiny.MaxAbsDiff(hooked, baseline) > 1e-4);
        Assert.True(Tiny.Same(weightBefore, valueWeight));
        Assert.True(Tiny.MaxAbsDiff(a.call(tokens), baseline) == 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_dropout_acts_in_training_on_both_paths(bool composite)
    {
        // Given a model with heavy dropout, on the fused path or (a logits hook) the composite one
        using var scope = NewDisposeScope();
        using var model = new Transformer(Tiny.Config("rope") with { Dropout = 0.5 });
        var tokens = Tiny.Tokens(2, 10, seed: 11);
        var remover = composite ? model.Hook("blocks.0.attn.logits").register_forward_hook((_, _, o) => o) : null;
        try
        {
            // When layer 0's per-head output is read twice in training and twice in eval
            // (z precedes the residual dropout, so only attention dropout can change it)
            model.train();
            var train1 = Tiny.Capture(model, tokens, "blocks.0.attn.z")["blocks.0.attn.z"];
            var train2 = Tiny.Capture(model, tokens, "blocks.0.attn.z")["blocks.0.attn.z"];
            model.eval();
            var eval1 = Tiny.Capture(model, tokens, "blocks.0.attn.z")["blocks.0.attn.z"];
            var eval2 = Tiny.Capture(model, tokens, "blocks.0.attn.z")["blocks.0.attn.z"];

            // Then training draws differ and evaluation is deterministic
            Assert.True(Tiny.MaxAbsDiff(train1, train2) > 1e-3);
            Assert.True(Tiny.Same(eval1, eval2));
        }
        finally
        {
            remover?.remove();
        }
    }

    [Fact]
    public void Logits_hook_sees_the_bias_before_the_mask_and_pattern_is_its_masked_softmax()
    {
        // Given a causal standard ALiBi model and a padded batch
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("alibi", Architecture.Standard) with { Causal = true });
        var tokens = Tiny.Tokens(2, 8, seed: 12);
        tokens[1, TensorIndex.Slice(6)] = tensor(0L);

        // When logits and pattern are read
        var seen = Tiny.Capture(model, tokens, "blocks.0.attn.logits", "blocks.0.attn.pattern");
        var logits = seen["blocks.0.attn.logits"];

        // Then logits are finite everywhere (the paper's L, unmasked), and the pattern is softmax(L + mask)
        Assert.True(logits.isfinite().all().item<bool>());
        var forbidden = ones(8, 8, dtype: ScalarType.Bool).triu(1).view(1, 1, 8, 8)
            .logical_or(tokens.eq(0).view(2, 1, 1, 8));
        var expected = logits.masked_fill(forbidden, double.NegativeInfinity).softmax(-1);
        Assert.True(Tiny.MaxAbsDiff(expected, seen["blocks.0.attn.pattern"]) < 1e-12);
    }
}
