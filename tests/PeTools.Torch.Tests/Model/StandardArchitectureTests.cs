using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Model;

/// <summary>The standard backbone: padding is invisible, and the causal mask holds.</summary>
public class StandardArchitectureTests
{
    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Appending_padding_does_not_change_standard_logits(string key)
    {
        // Given a standard model and a batch whose second row is already padded
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key, Architecture.Standard));
        var tokens = Tiny.Tokens(2, 8, seed: 7);
        tokens[1, TensorIndex.Slice(5)] = tensor(0L);
        using var _ = no_grad();

        // When four more padding columns are appended
        var padded = cat([tokens, zeros(2, 4, dtype: int64)], dim: 1);

        // Then the logits are unchanged: padding keys are masked and excluded from the pooled mean
        Assert.True(Tiny.MaxAbsDiff(model.call(tokens), model.call(padded)) < 1e-10);
    }

    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Causal_outputs_at_t_ignore_tokens_after_t(string key)
    {
        // Given a causal standard model, a batch, and the same batch with tokens from position 5 on replaced
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key, Architecture.Standard) with { Causal = true });
        var tokens = Tiny.Tokens(2, 9, seed: 8);
        var changed = tokens.clone();
        changed[TensorIndex.Colon, TensorIndex.Slice(5)] = (tokens[TensorIndex.Colon, TensorIndex.Slice(5)] % 7) + 11;
        string[] names = ["blocks.0.attn.z", "blocks.1.attn.z", "blocks.1.resid_pre"];

        // When both run
        var before = Tiny.Capture(model, tokens, names);
        var after = Tiny.Capture(model, changed, names);

        // Then every activation at positions 0..4 is unchanged, and some activation at 5.. did change
        foreach (var name in names)
        {
            var positionDim = name.EndsWith(".z") ? 2 : 1;
            Assert.True(Tiny.MaxAbsDiff(before[name].narrow(positionDim, 0, 5), after[name].narrow(positionDim, 0, 5)) < 1e-12, name);
        }
        Assert.True(Tiny.MaxAbsDiff(before["blocks.1.attn.z"], after["blocks.1.attn.z"]) > 1e-6);
    }

    [Fact]
    public void Causal_pattern_puts_no_weight_on_future_or_padding_keys()
    {
        // Given a causal standard model and a batch with padding
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config("alibi-std", Architecture.Standard) with { Causal = true });
        var tokens = Tiny.Tokens(2, 8, seed: 9);
        tokens[0, TensorIndex.Slice(6)] = tensor(0L);

        // When the pattern is read
        var pattern = Tiny.Capture(model, tokens, "blocks.0.attn.pattern")["blocks.0.attn.pattern"];

        // Then keys after the query and padding keys get exactly zero weight; rows still sum to 1
        var future = ones(8, 8, dtype: ScalarType.Bool).triu(1);
        Assert.Equal(0.0, pattern.masked_select(future.view(1, 1, 8, 8).expand_as(pattern)).abs().sum().item<double>());
        Assert.Equal(0.0, pattern[0, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(6)].abs().sum().item<double>());
        Assert.True(Tiny.MaxAbsDiff(pattern.sum(-1), ones_like(pattern.sum(-1))) < 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_all_padding_sequence_gives_finite_logits_and_finite_gradients(bool composite)
    {
        // Given a causal standard model (fused, or composite via a pattern hook) and a batch whose second row is all padding
        using var scope = NewDisposeScope();
        using var model = new Transformer(Tiny.Config("rope", Architecture.Standard) with { Causal = true });
        var tokens = Tiny.Tokens(2, 6, seed: 13);
        tokens[1] = zeros(6, dtype: int64);
        if (composite) model.Hook("blocks.0.attn.pattern").register_forward_hook((_, _, o) => o);

        // When it runs forward and backward
        var logits = model.call(tokens);
        logits.sum().backward();

        // Then nothing is NaN: such a row attends everywhere rather than nowhere, and pools to zero
        Assert.True(logits.isfinite().all().item<bool>());
        Assert.All(model.parameters(), p => Assert.True(p.grad!.isfinite().all().item<bool>()));
    }
}
