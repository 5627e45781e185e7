using PeTools.Core.Errors;
using PeTools.Torch.Curvature;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Curvature;

/// <summary>Hessian-vector products by double backward, and the parameter scopes they are taken over.</summary>
public class HessianVectorProductTests : OneThread
{
    public static TheoryData<string, Architecture, AttentionKind, string> Cases() => new()
    {
        { "rope", Architecture.Reference, AttentionKind.Mha, "model" },
        { "alibi", Architecture.Standard, AttentionKind.Mha, "model" },
        { "relative", Architecture.Reference, AttentionKind.Mha, "layer:1:attn" },
        { "kerple", Architecture.Standard, AttentionKind.Mha, "layer:0" },
        { "t5", Architecture.Standard, AttentionKind.Mha, "pe" },
        { "rope", Architecture.Standard, AttentionKind.Mla, "layer:1:attn" },
    };

    /// <summary>Adds by·v to the scope's coordinates, in place.</summary>
    private static void Shift(CurvatureScope scope, Tensor v, double by)
    {
        using var _ = no_grad();
        long offset = 0;
        foreach (var part in scope.Parts)
        {
            part.Of(part.Parameter).add_(v.narrow(0, offset, part.Size).view(part.Shape), alpha: by);
            offset += part.Size;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hvp_equals_central_differences_of_the_gradient(string pe, Architecture arch, AttentionKind attention, string scopeKey)
    {
        // Given a float64 two-layer model, two fixed batches and a random direction v in the scope
        using var model = Small.Model(Small.Config(pe, arch, attention, layers: 2));
        var scope = CurvatureScope.Parse(scopeKey, model);
        var h = new HessianVectorProduct(model, scope, Small.Batches(model.Config), ignoreClass: 0);
        var v = randn([h.Dimension], dtype: float64, generator: new Generator(3));

        // When Hv is computed, and (g(θ + εv) − g(θ − εv)) / 2ε from the gradient alone
        var hv = h.Apply(v);
        const double eps = 1e-5;
        Shift(scope, v, eps);
        var plus = h.LossAndGradient().Gradient;
        Shift(scope, v, -2 * eps);
        var minus = h.LossAndGradient().Gradient;
        Shift(scope, v, eps);
        var fd = (plus - minus) / (2 * eps);

        // Then they agree to the finite-difference error (O(ε²) ≈ 1e-10, plus rounding ≈ 1e-16/ε)
        double norm = hv.norm().item<double>();
        Assert.True(norm > 1e-6, $"Hv is (nearly) zero: {norm}");
        double error = (hv - fd).norm().item<double>() / norm;
        Assert.True(error < 1e-7, $"{pe}/{arch}/{attention}/{scopeKey}: ‖Hv − FD‖/‖Hv‖ = {error:E2}");
    }

    [Fact]
    public void Hvp_leaves_mode_and_attention_path_as_it_found_them()
    {
        // Given a model in train mode on the fused path
        using var model = Small.Model(Small.Config("rope"));
        var h = new HessianVectorProduct(model, CurvatureScope.Parse("model", model), Small.Batches(model.Config), 0);

        // When an HVP runs
        var seen = new List<(bool Training, AttentionPath Path)>();
        var remover = model.Blocks[0].Attention.Pattern.register_forward_hook((_, _, o) =>
        {
            seen.Add((model.training, model.Blocks[0].Attention.Path));
            return o;
        });
        try
        {
            h.Apply(ones(h.Dimension, dtype: float64));
        }
        finally
        {
            remover.remove();
        }

        // Then it ran in eval mode on the composite path, and the model is back in train mode on the fused path
        Assert.NotEmpty(seen);
        Assert.All(seen, s => Assert.Equal((false, AttentionPath.Composite), s));
        Assert.True(model.training);
        Assert.Equal(AttentionPath.Fused, model.Blocks[0].Attention.Path);
    }

    [Theory]
    [InlineData(Architecture.Reference)]
    [InlineData(Architecture.Standard)]
    public void Composite_path_computes_what_the_fused_path_computes(Architecture arch)
    {
        using var model = Small.Model(Small.Config("alibi", arch, layers: 2));
        model.eval();
        var tokens = Small.Batches(model.Config)[0].Tokens;
        using var _ = no_grad();
        var fused = model.call(tokens);
        Tensor composite;
        using (model.UseAttentionPath(AttentionPath.Composite)) composite = model.call(tokens);
        Assert.True((fused - composite).abs().max().item<double>() < 1e-12);
    }

    public static TheoryData<string, AttentionKind> EveryPe()
    {
        var data = new TheoryData<string, AttentionKind>();
        foreach (var e in PositionalEncodings.All)
        {
            data.Add(e.Key, AttentionKind.Mha);
            if (e.Coupling == Coupling.Multiplicative) data.Add(e.Key, AttentionKind.Mla);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPe))]
    public void Scopes_pick_exactly_the_named_parameters(string pe, AttentionKind attention)
    {
        // Given a two-layer model of every PE
        using var model = Small.Model(Small.Config(pe, attention: attention, layers: 2));
        var names = model.named_parameters().Select(p => p.name).ToList();
        var perLayer = pe switch { "relative" => new[] { "pe.tables" }, "kerple" => ["pe.r1", "pe.r2"], _ => [] };

        // Then model is every parameter, whole, in state-dict order
        var all = CurvatureScope.Parse("model", model);
        Assert.Equal(names, all.Parts.Select(p => p.Label));
        Assert.Equal(model.parameters().Sum(p => p.numel()), all.Dimension);

        // layer:1:attn is block 1's attention and the PE's layer-1 slices; layer:1 the whole block and those slices
        Assert.Equal(names.Where(n => n.StartsWith("blocks.1.attn.")).Concat(perLayer.Select(n => n + "[1]")),
            CurvatureScope.Parse("layer:1:attn", model).Parts.Select(p => p.Label));
        Assert.Equal(names.Where(n => n.StartsWith("blocks.1.")).Concat(perLayer.Select(n => n + "[1]")),
            CurvatureScope.Parse("layer:1", model).Parts.Select(p => p.Label));
        Assert.All(CurvatureScope.Parse("layer:0:attn", model).Parts.Where(p => p.Index is not null), p => Assert.Equal(0L, p.Index));

        // pe is the PE's own parameters, or a usage error for a PE without any
        var peNames = names.Where(n => n.StartsWith("pe.")).ToList();
        if (peNames.Count > 0) Assert.Equal(peNames, CurvatureScope.Parse("pe", model).Parts.Select(p => p.Label));
        else Assert.Contains("--scope", Assert.Throws<UsageError>(() => CurvatureScope.Parse("pe", model)).Message);
    }

    [Theory]
    [InlineData("layer:2")]
    [InlineData("layer:-1:attn")]
    [InlineData("layer:x")]
    [InlineData("layer:0:ffn")]
    [InlineData("blocks")]
    [InlineData("")]
    public void A_bad_scope_is_a_usage_error_naming_the_option(string key)
    {
        using var model = Small.Model(Small.Config("rope", layers: 2));
        var e = Assert.Throws<UsageError>(() => CurvatureScope.Parse(key, model));
        Assert.Contains("--scope", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_layer_scope_hessian_is_the_principal_block_of_the_model_hessian()
    {
        // Given a relative-PE model (per-layer PE tables), its model scope, and the layer-0 attention scope located in
        // the model's coordinates by labelling each parameter entry with its model-scope index
        using var model = Small.Model(Small.Config("relative"));
        var batches = Small.Batches(model.Config);
        var full = CurvatureScope.Parse("model", model);
        var layer = CurvatureScope.Parse("layer:0:attn", model);
        long offset = 0;
        var labels = new Dictionary<IntPtr, Tensor>();
        foreach (var p in full.Parts)
        {
            labels[p.Parameter.Handle] = arange(offset, offset + p.Size, dtype: int64).view(p.Shape);
            offset += p.Size;
        }
        var at = layer.Flatten(layer.Parameters.Select(p => labels[p.Handle]).ToList());   // (n_S) model-scope indices
        Assert.Contains(layer.Parts, p => p.Label == "pe.tables[0]");
        Assert.Equal(layer.Dimension, at.unique().Item1.numel());

        // When H_S v is computed, and H (v placed at those coordinates, 0 elsewhere) read back there
        var hs = new HessianVectorProduct(model, layer, batches, 0);
        var h = new HessianVectorProduct(model, full, batches, 0);
        var v = randn([layer.Dimension], dtype: float64, generator: new Generator(9));
        var placed = zeros(full.Dimension, dtype: float64).index_put_(v, at);
        var block = h.Apply(placed).index_select(0, at);

        // Then they agree to rounding: H_S is exactly the principal block H[S, S], PE table slice included
        var hv = hs.Apply(v);
        Assert.True((hv - block).abs().max().item<double>() <= 1e-12 * hv.abs().max().item<double>());
    }
}
