using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Positional;

/// <summary>Each PE against its formula, written out independently here in plain loops.</summary>
public class ClosedFormTests
{
    private const int T = 12;

    [Fact]
    public void Sinusoidal_equals_the_interleaved_closed_form()
    {
        // Given the sinusoidal PE and random embeddings x
        using var scope = NewDisposeScope();
        using var pe = PositionalEncodings.Create(Tiny.Config("sinusoidal"));
        var x = randn(2, T, Tiny.DModel);

        // When it is added
        var added = pe.AddToEmbedding(x) - x;

        // Then PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = 10000^(−2i/d), for both batch rows
        var expected = new float[T * Tiny.DModel];
        for (var p = 0; p < T; p++)
            for (var i = 0; i < Tiny.DModel / 2; i++)
            {
                var angle = p * Math.Pow(10000, -2.0 * i / Tiny.DModel);
                expected[p * Tiny.DModel + 2 * i] = (float)Math.Sin(angle);
                expected[p * Tiny.DModel + 2 * i + 1] = (float)Math.Cos(angle);
            }
        var table = tensor(expected).view(1, T, Tiny.DModel);
        Assert.True(Tiny.MaxAbsDiff(added, table) < 1e-6);
    }

    [Theory]
    [InlineData("alibi")]
    [InlineData("alibi-std")]
    public void Alibi_bias_equals_minus_slope_times_distance_exactly(string key)
    {
        // Given an ALiBi PE and the slopes of its schedule
        using var scope = NewDisposeScope();
        using var pe = PositionalEncodings.Create(Tiny.Config(key));
        var slopes = (key == "alibi"
            ? Enumerable.Range(0, Tiny.Heads).Select(h => Math.Exp(-(double)h / Tiny.Heads))
            : Enumerable.Range(0, Tiny.Heads).Select(h => Math.Pow(2, -8.0 * (h + 1) / Tiny.Heads))).ToArray();

        // When its bias for T queries and T + 3 keys is taken, in any layer
        var bias = pe.LogitBias(1, T, T + 3)!;

        // Then bias[h, i, j] = −m_h·|i − j|, bit for bit in float32
        var expected = new float[Tiny.Heads * T * (T + 3)];
        for (var h = 0; h < Tiny.Heads; h++)
            for (var i = 0; i < T; i++)
                for (var j = 0; j < T + 3; j++)
                    expected[(h * T + i) * (T + 3) + j] = -((float)slopes[h] * Math.Abs(i - j));
        Assert.Equal([Tiny.Heads, T, T + 3], bias.shape);
        Assert.True(Tiny.Same(bias, tensor(expected).view(Tiny.Heads, T, T + 3)));
    }

    [Theory]
    [InlineData(1.0, 10000.0)]
    [InlineData(0.5, 10000.0)]
    [InlineData(1.0, 500.0)]
    public void Rope_rotates_adjacent_pairs_by_position_times_frequency(double fraction, double ropeBase)
    {
        // Given RoPE rotating a fraction of each head's dims, and random q
        using var scope = NewDisposeScope();
        var config = Tiny.Config("rope") with { PeOptions = new PeOptions(RopeBase: ropeBase, RotaryFraction: fraction) };
        using var pe = PositionalEncodings.Create(config);
        var q = randn(1, Tiny.Heads, T, Tiny.HeadDim, dtype: float64);

        // When q is rotated
        var (rotated, _) = pe.RotateQueryKey(0, q, q);

        // Then pair (2i, 2i+1) at position p turns by p·base^(−2i/d_rot); dims past d_rot are untouched
        var rot = (int)(fraction * Tiny.HeadDim);
        var x = q.data<double>().ToArray();
        var expected = (double[])x.Clone();
        for (var h = 0; h < Tiny.Heads; h++)
            for (var p = 0; p < T; p++)
                for (var i = 0; i < rot / 2; i++)
                {
                    var at = (h * T + p) * Tiny.HeadDim + 2 * i;
                    var angle = p * Math.Pow(ropeBase, -2.0 * i / rot);
                    expected[at] = x[at] * Math.Cos(angle) - x[at + 1] * Math.Sin(angle);
                    expected[at + 1] = x[at] * Math.Sin(angle) + x[at + 1] * Math.Cos(angle);
                }
        Assert.True(Tiny.MaxAbsDiff(rotated, tensor(expected).view(q.shape)) < 1e-12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Partial_rope_leaves_heads_from_k_on_untouched(int k)
    {
        // Given RoPE on the first k heads only
        using var scope = NewDisposeScope();
        var config = Tiny.Config("rope") with { PeOptions = new PeOptions(RopeHeads: k) };
        using var pe = PositionalEncodings.Create(config);
        var q = randn(2, Tiny.Heads, T, Tiny.HeadDim);

        // When q is rotated
        var (rotated, _) = pe.RotateQueryKey(0, q, q);

        // Then heads ≥ k are exactly the input and heads < k are not (beyond position 0)
        for (var h = 0; h < Tiny.Heads; h++)
        {
            var same = Tiny.Same(rotated.select(1, h), q.select(1, h));
            Assert.Equal(h >= k, same);
        }
    }

    [Fact]
    public void Rope_abs_is_rope_plus_the_sin_block_then_cos_block()
    {
        // Given rope-abs and pure rope on the same config, and random q, k, x
        using var scope = NewDisposeScope();
        using var hybrid = PositionalEncodings.Create(Tiny.Config("rope-abs"));
        using var rope = PositionalEncodings.Create(Tiny.Config("rope"));
        var q = randn(2, Tiny.Heads, T, Tiny.HeadDim);
        var k = randn(2, Tiny.Heads, T, Tiny.HeadDim);
        var x = randn(2, T, Tiny.DModel);

        // When both rotate q, k and rope-abs adds to x
        var (hq, hk) = hybrid.RotateQueryKey(1, q, k);
        var (rq, rk) = rope.RotateQueryKey(1, q, k);
        var added = hybrid.AddToEmbedding(x) - x;

        // Then the rotations are identical, and the addition is [sin(p·ω_0..D/2−1) ‖ cos(p·ω_0..D/2−1)], ω over d_model
        Assert.True(Tiny.Same(hq, rq) && Tiny.Same(hk, rk));
        var half = Tiny.DModel / 2;
        var expected = new float[T * Tiny.DModel];
        for (var p = 0; p < T; p++)
            for (var i = 0; i < half; i++)
            {
                var angle = p * Math.Pow(10000, -2.0 * i / Tiny.DModel);
                expected[p * Tiny.DModel + i] = (float)Math.Sin(angle);
                expected[p * Tiny.DModel + half + i] = (float)Math.Cos(angle);
            }
        Assert.True(Tiny.MaxAbsDiff(added, tensor(expected).view(1, T, Tiny.DModel)) < 1e-6);
    }

    [Fact]
    public void Relative_bias_reads_the_layer_table_at_the_signed_offset()
    {
        // Given the reference relative PE (max_len 16) and its per-layer tables
        using var scope = NewDisposeScope();
        var config = Tiny.Config("relative");
        using var pe = PositionalEncodings.Create(config);
        var tables = pe.named_parameters().Single().parameter.detach();
        Assert.Equal([config.Layers, 2 * config.MaxLen - 1, Tiny.Heads], tables.shape);

        // When the bias of layer 1 is taken
        var bias = pe.LogitBias(1, T, T)!;

        // Then bias[h, i, j] = B_1[j − i + max_len − 1, h]
        for (var h = 0; h < Tiny.Heads; h++)
            for (var i = 0; i < T; i++)
                for (var j = 0; j < T; j++)
                    Assert.Equal(tables[1, j - i + config.MaxLen - 1, h].item<float>(), bias[h, i, j].item<float>());
    }

    [Fact]
    public void T5_buckets_follow_the_t5_bidirectional_rule()
    {
        // Given the T5 bias with 32 buckets and max distance 128
        using var scope = NewDisposeScope();
        using var pe = (T5RelativeBias)PositionalEncodings.Create(Tiny.Config("t5"));

        // When every offset in −300..300 is bucketed
        var offsets = arange(-300, 301, dtype: int64);
        var buckets = pe.Bucket(offsets).data<long>().ToArray();

        // Then each equals T5's _relative_position_bucket, re-derived here for one scalar at a time
        for (var n = 0; n < offsets.shape[0]; n++)
            Assert.Equal(T5Bucket(n - 300), buckets[n]);
        // and all buckets but 16 ("offset 0, key after query", which cannot happen) are reached, as in T5
        Assert.Equal(Enumerable.Range(0, 32).Where(b => b != 16).Select(b => (long)b), buckets.Distinct().Order());
    }

    [Fact]
    public void Xpos_multiplies_each_rope_pair_logit_by_zeta_to_the_offset_over_gamma()
    {
        // Given xPos and RoPE on the same config, and random q, k
        using var scope = NewDisposeScope();
        using var xpos = PositionalEncodings.Create(Tiny.Config("xpos"));
        using var rope = PositionalEncodings.Create(Tiny.Config("rope"));
        xpos.to(ScalarType.Float64);
        rope.to(ScalarType.Float64);
        var q = randn(1, Tiny.Heads, T, Tiny.HeadDim, dtype: float64);
        var k = randn(1, Tiny.Heads, T, Tiny.HeadDim, dtype: float64);

        // When both form logits
        var (xq, xk) = xpos.RotateQueryKey(0, q, k);
        var (rq, rk) = rope.RotateQueryKey(0, q, k);
        var logits = xq.matmul(xk.transpose(-2, -1));                                        // (1, H, T, T)

        // Then logit(m, n) = Σ_i ζ_i^((m−n)/γ) · (RoPE's pair-i term), ζ_i = (2i/d + 0.4)/1.4, γ = 512
        var pairs = Tiny.HeadDim / 2;
        var perPair = (rq.view(1, Tiny.Heads, T, 1, pairs, 2) * rk.view(1, Tiny.Heads, 1, T, pairs, 2)).sum(-1);
        var scale = new double[T * T * pairs];
        for (var m = 0; m < T; m++)
            for (var n = 0; n < T; n++)
                for (var i = 0; i < pairs; i++)
                    scale[(m * T + n) * pairs + i] = Math.Pow((2.0 * i / Tiny.HeadDim + 0.4) / 1.4, (m - n) / 512.0);
        var expected = (perPair * tensor(scale).view(T, T, pairs)).sum(-1);
        Assert.True(Tiny.MaxAbsDiff(logits, expected) < 1e-12);
    }

    [Fact]
    public void Kerple_starts_as_minus_log_of_one_plus_rate_times_distance()
    {
        // Given a freshly built KERPLE bias (r1 = 1, r2_h = 2^(−8h/H))
        using var scope = NewDisposeScope();
        using var pe = PositionalEncodings.Create(Tiny.Config("kerple"));

        // When the bias of layer 1 is taken
        var bias = pe.LogitBias(1, T, T)!;

        // Then bias[h, i, j] = −log(1 + r2_h·|i − j|)
        var expected = new float[Tiny.Heads * T * T];
        for (var h = 0; h < Tiny.Heads; h++)
            for (var i = 0; i < T; i++)
                for (var j = 0; j < T; j++)
                    expected[(h * T + i) * T + j] = (float)-Math.Log(1 + Math.Pow(2, -8.0 * h / Tiny.Heads) * Math.Abs(i - j));
        Assert.True(Tiny.MaxAbsDiff(bias, tensor(expected).view(Tiny.Heads, T, T)) < 1e-5);
    }

    private static long T5Bucket(long offset)
    {
        const int half = 16, exact = 8, maxDistance = 128;
        var bucket = offset > 0 ? half : 0;
        var n = Math.Abs(offset);
        if (n < exact) return bucket + n;
        var large = exact + (long)(Math.Log((double)n / exact) / Math.Log((double)maxDistance / exact) * (half - exact));
        return bucket + Math.Min(large, half - 1);
    }
}
