using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Model;

/// <summary>Reference architecture: all layers' K/V-side projections in one GEMM against each layer's own (the oracle).</summary>
public class FusedMemoryProjectionTests
{
    public static TheoryData<string, AttentionKind, string?> Cases() => new()
    {
        { "rope", AttentionKind.Mha, null },
        { "nope", AttentionKind.Mha, null },
        { "alibi", AttentionKind.Mha, null },
        { "relative", AttentionKind.Mha, null },
        { "t5", AttentionKind.Mha, null },
        { "rope", AttentionKind.Mla, null },
        { "xpos", AttentionKind.Mla, null },
        { "rope", AttentionKind.Mha, "1" },
    };

    private static (Tensor Logits, Dictionary<string, Tensor> Grads) ForwardBackward(Transformer model, Tensor tokens)
    {
        foreach (var p in model.parameters()) p.grad = null;
        var logits = model.call(tokens);                                             // (B, C)
        (logits * logits.detach().softmax(-1)).sum().backward();                     // a loss that weighs every logit
        return (logits.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_gemm_for_every_layer_gives_the_per_layer_logits_and_gradients(string pe, AttentionKind attention, string? peLayers)
    {
        // Given a float64 reference model with 3 layers and a batch
        using var scope = NewDisposeScope();
        manual_seed(8);
        var config = Tiny.Config(pe, Architecture.Reference, attention) with
        {
            Layers = 3,
            PeLayers = peLayers is null ? null : [int.Parse(peLayers, System.Globalization.CultureInfo.InvariantCulture)],
        };
        using var model = Tiny.Model(config);
        var tokens = Tiny.Tokens(4, 11, seed: 2);

        // When it runs forward and backward with the fused projections and with each layer's own
        model.FuseMemoryProjections = true;
        var (fused, fusedGrads) = ForwardBackward(model, tokens);
        model.FuseMemoryProjections = false;
        var (perLayer, perLayerGrads) = ForwardBackward(model, tokens);

        // Then logits and every parameter's gradient agree to float64 rounding
        Assert.True(Tiny.MaxAbsDiff(fused, perLayer) < 1e-12, $"logits differ by {Tiny.MaxAbsDiff(fused, perLayer)}");
        Assert.Equal(perLayerGrads.Keys.Order(), fusedGrads.Keys.Order());
        Assert.All(perLayerGrads, kv => Assert.True(fusedGrads[kv.Key].allclose(kv.Value, rtol: 1e-10, atol: 1e-12),
            $"{kv.Key}: max |Δ| {Tiny.MaxAbsDiff(fusedGrads[kv.Key], kv.Value)}"));
    }

    [Fact]
    public void Fused_projections_agree_in_float32_and_leave_the_standard_architecture_alone()
    {
        // Given float32 reference and standard models (the standard one projects LN1(x) per layer: nothing to fuse)
        using var scope = NewDisposeScope();
        manual_seed(9);
        using var reference = Tiny.Model(Tiny.Config("rope"), float64: false);
        using var standard = Tiny.Model(Tiny.Config("rope", Architecture.Standard), float64: false);
        var tokens = Tiny.Tokens(4, 16, seed: 3);

        // When each runs fused and not
        Tensor Logits(Transformer m, bool fuse)
        {
            m.FuseMemoryProjections = fuse;
            using var _ = no_grad();
            return m.call(tokens);
        }

        // Then reference agrees to float32 rounding, standard exactly
        Assert.True(Logits(reference, true).allclose(Logits(reference, false), rtol: 1e-5, atol: 1e-6));
        Assert.True(Tiny.Same(Logits(standard, true), Logits(standard, false)));
    }
}
