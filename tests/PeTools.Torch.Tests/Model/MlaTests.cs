using PeTools.Core.Errors;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Model;

/// <summary>Multi-head latent attention with a decoupled rotary branch (reference-code.md §3.3, bug fixed).</summary>
public class MlaTests
{
    [Theory]
    [MemberData(nameof(Tiny.AllPes), MemberType = typeof(Tiny))]
    public void Mla_accepts_exactly_the_multiplicative_pes(string key)
    {
        // Given an MLA config with this PE
        var config = Tiny.Config(key, Architecture.Standard, AttentionKind.Mla);

        // When the model is built
        var build = () => new Transformer(config).Dispose();

        // Then it builds iff the PE is multiplicative; otherwise a usage error names --pe and the PE
        if (PositionalEncodings.Find(key).Coupling == Coupling.Multiplicative)
        {
            build();
        }
        else
        {
            var error = Assert.Throws<UsageError>(build);
            Assert.Contains("--pe", error.Message);
            Assert.Contains($"'{key}'", error.Message);
        }
    }

    [Theory]
    [InlineData("rope", Architecture.Standard)]
    [InlineData("xpos", Architecture.Standard)]
    [InlineData("rope", Architecture.Reference)]
    public void Mla_decoupled_rotary_logits_depend_only_on_offset(string key, Architecture arch)
    {
        // Given an MLA model and constant content (so q_c·k_c is the same for every pair of positions)
        using var scope = NewDisposeScope();
        using var model = Tiny.Model(Tiny.Config(key, arch, AttentionKind.Mla));
        var tokens = full(2, 10, 5, dtype: int64);

        // When the first layer's logits are read
        var logits = Tiny.Capture(model, tokens, "blocks.0.attn.logits")["blocks.0.attn.logits"];

        // Then they are Toeplitz (a true rotation, unlike the reference's) and do vary with the offset
        Assert.True(Tiny.ToeplitzGap(logits) < 1e-10);
        Assert.True(Tiny.LeastHeadSpread(logits) > 1e-5);
    }

    [Fact]
    public void Mla_attention_has_the_reference_parameter_count()
    {
        // Given the default dimensions (d 256, 16 heads of 16, d_c 128) with MLA
        var config = new TransformerConfig { Attention = AttentionKind.Mla, Arch = Architecture.Standard };

        // When the model is built
        using var model = new Transformer(config);

        // Then each layer's attention has mla.py's 235,520 parameters (reference-code.md §3.3)
        Assert.All(model.Blocks, b => Assert.Equal(235_520, b.Attention.parameters().Sum(p => p.numel())));
    }
}
