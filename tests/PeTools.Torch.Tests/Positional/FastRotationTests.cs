using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Positional;

/// <summary>Rotary PEs: the three-kernel rotation with cached tables against the composite of pairs (the oracle).</summary>
public class FastRotationTests
{
    public static TheoryData<string, double, int?> Rotations() => new()
    {
        { "rope", 1.0, null },
        { "rope", 0.5, null },
        { "rope", 1.0, 2 },
        { "rope", 0.5, 1 },
        { "rope-abs", 1.0, null },
        { "xpos", 1.0, null },
        { "xpos", 0.5, 3 },
    };

    [Theory]
    [MemberData(nameof(Rotations))]
    public void Fast_rotation_equals_the_composite_with_gradients_on_strided_queries_and_keys(string key, double fraction, int? heads)
    {
        // Given a rotary PE and float64 queries/keys laid out as attention makes them (a transpose: strided)
        using var scope = NewDisposeScope();
        var config = Tiny.Config(key) with { PeOptions = new PeOptions(RotaryFraction: fraction, RopeHeads: heads) };
        var pe = (RotaryEncoding)PositionalEncodings.Create(config);
        var g = new Generator(3);
        Tensor Input(long t) => randn([2, t, Tiny.Heads, Tiny.HeadDim], dtype: float64, generator: g)
            .transpose(1, 2).requires_grad_();                                                   // (B, H, T, dh)
        var (q, k) = (Input(9), Input(9));
        var (wq, wk) = (randn(q.shape, dtype: float64, generator: g), randn(k.shape, dtype: float64, generator: g));

        // When it rotates them fast and through the composite (twice fast: the second call uses cached tables)
        (Tensor Q, Tensor K, Tensor Gq, Tensor Gk) Run(bool fast)
        {
            pe.FastRotation = fast;
            q.grad = null;
            k.grad = null;
            var (rq, rk) = pe.RotateQueryKey(1, q, k);
            ((rq * wq).sum() + (rk * wk).sum()).backward();
            return (rq.detach(), rk.detach(), q.grad!.clone(), k.grad!.clone());
        }
        var slow = Run(false);
        _ = Run(true);
        var fast = Run(true);

        // Then outputs and input gradients agree to float64 rounding
        Assert.True(Tiny.MaxAbsDiff(fast.Q, slow.Q) < 1e-13, $"q: {Tiny.MaxAbsDiff(fast.Q, slow.Q)}");
        Assert.True(Tiny.MaxAbsDiff(fast.K, slow.K) < 1e-13, $"k: {Tiny.MaxAbsDiff(fast.K, slow.K)}");
        Assert.True(Tiny.MaxAbsDiff(fast.Gq, slow.Gq) < 1e-13, $"dq: {Tiny.MaxAbsDiff(fast.Gq, slow.Gq)}");
        Assert.True(Tiny.MaxAbsDiff(fast.Gk, slow.Gk) < 1e-13, $"dk: {Tiny.MaxAbsDiff(fast.Gk, slow.Gk)}");
    }

    [Theory]
    [InlineData("rope", AttentionKind.Mha)]
    [InlineData("xpos", AttentionKind.Mha)]
    [InlineData("rope", AttentionKind.Mla)]
    [InlineData("rope-abs", AttentionKind.Mla)]
    public void Models_give_the_same_logits_and_gradients_with_the_fast_rotation(string key, AttentionKind attention)
    {
        // Given a float64 model (MLA: the rotation acts on one shared head) and a batch
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = Tiny.Model(Tiny.Config(key, Architecture.Reference, attention));
        var tokens = Tiny.Tokens(3, 10, seed: 6);

        // When it runs with each rotation
        (Tensor Logits, Tensor[] Grads) Run(bool fast)
        {
            model.FastRotation = fast;
            foreach (var p in model.parameters()) p.grad = null;
            var logits = model.call(tokens);
            logits.pow(2).sum().backward();
            return (logits.detach(), model.parameters().Select(p => p.grad!).ToArray());
        }
        var slow = Run(false);
        var fast = Run(true);

        // Then logits and every gradient agree to float64 rounding
        Assert.True(Tiny.MaxAbsDiff(fast.Logits, slow.Logits) < 1e-11);
        Assert.All(fast.Grads.Zip(slow.Grads), p => Assert.True(p.First.allclose(p.Second, rtol: 1e-9, atol: 1e-11)));
    }

    [Fact]
    public void Fast_rotation_in_float32_and_bfloat16_stays_within_their_rounding()
    {
        // Given RoPE and float32 / bfloat16 queries
        using var scope = NewDisposeScope();
        var pe = (RotaryEncoding)PositionalEncodings.Create(Tiny.Config("rope"));
        foreach (var (dtype, tol) in new[] { (float32, 1e-6), (bfloat16, 2e-2) })
        {
            var q = randn([2, Tiny.Heads, 16, Tiny.HeadDim], generator: new Generator(8)).to(dtype);

            // When rotated both ways
            pe.FastRotation = false;
            var slow = pe.RotateQueryKey(0, q, q).Q.to(float32);
            pe.FastRotation = true;
            var fast = pe.RotateQueryKey(0, q, q).Q.to(float32);

            // Then they differ by at most a rounding of each element's size (bf16: one rounding is 2^-8)
            Assert.True(((fast - slow).abs() / (slow.abs() + 1)).max().item<float>() < tol, $"{dtype}");
        }
    }
}
