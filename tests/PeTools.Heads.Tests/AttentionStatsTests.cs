using PeTools.Core.Logging;
using PeTools.Torch.Heads;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

public class AttentionStatsTests
{
    /// <summary>A random model whose W_Q and W_K are zero: its logits are a constant (q·k of the biases) plus the PE's bias.</summary>
    private static Transformer ContentFree(string pe, Architecture arch = Architecture.Reference)
    {
        var model = Planted.RandomModel(Planted.Config(pe, arch));
        using var _ = no_grad();
        foreach (var l in new[] { 0, 1 })
        {
            Planted.Param(model, $"blocks.{l}.attn.q_proj.weight").zero_();
            Planted.Param(model, $"blocks.{l}.attn.k_proj.weight").zero_();
        }
        return model;
    }

    [Fact]
    public void Alibi_logits_without_content_are_all_Toeplitz_and_content_makes_them_less()
    {
        // Given an ALiBi model without content in its logits, and the same model with random W_Q, W_K
        using var toeplitz = ContentFree("alibi");
        using var content = Planted.RandomModel(Planted.Config("alibi"));
        using var data = Planted.Random();

        // When their statistics are measured
        var pure = AttentionStats.Measure(toeplitz, data, [0, 1], 16, SilentLog.Instance);
        var mixed = AttentionStats.Measure(content, data, [0, 1], 16, SilentLog.Instance);

        // Then every head of the first has Toeplitz share 1, and every head of the second less
        Assert.All(pure, s => Assert.Equal(1.0, s.ToeplitzShare, 9));
        Assert.All(mixed, s => Assert.True(s.ToeplitzShare < 0.999, $"layer {s.Layer} head {s.Head}: {s.ToeplitzShare}"));
    }

    [Fact]
    public void Uniform_attention_has_entropy_log_T_and_the_closed_form_distance_and_end_masses()
    {
        // Given a NoPE model with constant logits, on full-length rows of T = 8
        using var model = ContentFree("nope");
        using var data = Planted.Random();
        const int t = Planted.Length;

        // When its statistics are measured
        var stats = AttentionStats.Measure(model, data, [0, 1], 16, SilentLog.Instance);

        // Then entropy = ln T, mean distance = mean_i Σ_j |i − j| / T = (T² − 1)/(3T), first = last = 1/T
        Assert.All(stats, s =>
        {
            Assert.Equal(Math.Log(t), s.Entropy, 5);
            Assert.Equal((t * t - 1) / (3.0 * t), s.MeanDistance, 5);
            Assert.Equal(1.0 / t, s.FirstTokenMass, 6);
            Assert.Equal(1.0 / t, s.LastTokenMass, 6);
        });
    }

    [Fact]
    public void Padding_is_left_out_of_queries_and_maps_of_a_masked_model()
    {
        // Given a standard (padding-masked) model with constant logits and two rows of length 5 and 8
        using var model = ContentFree("nope", Architecture.Standard);
        var tokens = randint(1, Planted.Vocab, [2, 8], dtype: ScalarType.Int64);
        tokens[0, TensorIndex.Slice(5)] = tensor(0L);
        using var data = new SplitTensors("all", tokens, zeros(2, dtype: ScalarType.Int64), 8);

        // When statistics and maps are measured
        var stats = AttentionStats.Measure(model, data, [0], 2, SilentLog.Instance);
        var map = AttentionMaps.Measure(model, data, [0], 2, 8, SilentLog.Instance)[0];

        // Then entropy is the mean over the 13 real queries of ln(row length), and the map averages a cell only over
        // the rows that have it: 2 rows (weights 1/5, 1/8) inside the first 5 positions, 1 row (1/8) beyond
        Assert.Equal((5 * Math.Log(5) + 8 * Math.Log(8)) / 13, stats[0].Entropy, 5);
        Assert.Equal((5 * (1.0 / 5) + 8 * (1.0 / 8)) / 13, stats[0].LastTokenMass, 6);
        Assert.Equal((2L, 1L, 1L), (map.Sequences[0, 0], map.Sequences[6, 1], map.Sequences[7, 7]));
        Assert.Equal((1.0 / 5 + 1.0 / 8) / 2, map.Weights[1, 4, 0], 6);
        Assert.Equal(1.0 / 8, map.Weights[1, 6, 1], 6);
    }

    [Fact]
    public void Toeplitz_share_reads_only_the_real_block_of_a_padded_row()
    {
        // Given one row of length 3 padded to 5: a Toeplitz real block, junk in the padding
        var logits = zeros(1, 1, 5, 5, dtype: ScalarType.Float64);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                logits[0, 0, i, j] = tensor((double)(j - i) * 2 + 1);
        logits[0, 0, 4, 1] = tensor(99.0);
        var real = tensor(new[] { true, true, true, false, false }).view(1, 5);

        // When its share is computed, and again with an off-Toeplitz bump inside the real block
        var share = AttentionStats.ToeplitzShare(logits, real).item<double>();
        logits[0, 0, 0, 0] = tensor(5.0);
        var bumped = AttentionStats.ToeplitzShare(logits, real).item<double>();

        // Then the first is 1 and the second below 1
        Assert.Equal(1.0, share, 12);
        Assert.True(bumped < 0.99);
    }
}
