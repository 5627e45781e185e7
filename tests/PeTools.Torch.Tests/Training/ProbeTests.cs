using PeTools.Core.Tables;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Training;

/// <summary>The gradient probes of pe-train --probe-every (paper.md §4.2): exact gradients, and no side effects.</summary>
public class ProbeTests
{
    private static SplitTensors Split(Tensor tokens, Tensor targets) => new("train", tokens, targets, (int)tokens.shape[1]);

    private static SplitTensors RandomSplit(long rows, long seed)
    {
        var generator = new Generator((ulong)seed + 1000);
        return Split(Tiny.Tokens(rows, 12, seed), randint(0, 7, [rows], generator: generator, dtype: int64));
    }

    public static TheoryData<string, Architecture, AttentionKind> Models() => new()
    {
        { "rope", Architecture.Reference, AttentionKind.Mha },
        { "alibi", Architecture.Standard, AttentionKind.Mha },
        { "nope", Architecture.Standard, AttentionKind.Mha },
        { "rope", Architecture.Standard, AttentionKind.Mla },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Bias_probe_gradient_equals_central_finite_differences(string pe, Architecture arch, AttentionKind attention)
    {
        // Given a float64 model and a probe batch (class 0 ignored, as in training)
        torch.manual_seed(3);
        using var model = Tiny.Model(Tiny.Config(pe, arch, attention));
        using var split = RandomSplit(10, 7);
        using var probes = new Probes(model, split, 10, ignoreClass: 0);

        // When the bias gradient is measured (summed over samples: the gradient of a shared bias)
        using var g = probes.Gradients();
        var total = g.BiasPerSample.sum(1);                                                  // (L, H, 2T−1)
        Assert.True(total.abs().max().item<double>() > 1e-6, "the positional gradient is identically zero");

        // Then perturbing single entries b_h(δ) by ±ε changes the loss by 2ε times that gradient
        const double eps = 1e-6;
        long t = split.Length;
        foreach (var (l, h, delta) in new[] { (0, 1, 2L), (1, 3, -1L), (1, 0, 0L), (0, 2, -(t - 1)) })
        {
            double Shifted(double by)
            {
                using var tables = zeros([2, Tiny.Heads, 2 * t - 1], dtype: float64);
                tables[l, h, delta + t - 1] = by;
                return probes.Loss(tables);
            }
            double fd = (Shifted(eps) - Shifted(-eps)) / (2 * eps);
            double analytic = total[l, h, delta + t - 1].item<double>();
            Assert.True(Math.Abs(fd - analytic) <= 1e-7 + 1e-5 * Math.Abs(analytic), $"l{l} h{h} δ{delta}: fd {fd} vs {analytic}");
        }
    }

    [Fact]
    public void Batched_per_sample_gradients_equal_a_loop_over_single_samples_across_chunks()
    {
        // Given a batch larger than one chunk, no class ignored (so the loss is a mean over all B rows)
        torch.manual_seed(4);
        using var model = Tiny.Model(Tiny.Config("rope", Architecture.Standard));
        long b = Probes.ChunkRows + 3;
        using var split = RandomSplit(b, 9);
        using var probes = new Probes(model, split, b, ignoreClass: null);

        // When per-sample gradients come from the one batched pass
        using var g = probes.Gradients();

        // Then sample s's slice, times B, is what a probe of that sample alone gives
        foreach (long s in new[] { 0L, Probes.ChunkRows - 1, Probes.ChunkRows + 2 })
        {
            using var one = Split(split.Tokens.narrow(0, s, 1), split.Targets.narrow(0, s, 1));
            using var single = new Probes(model, one, 1, ignoreClass: null);
            using var gs = single.Gradients();
            var batched = g.BiasPerSample.select(1, s) * b;                                 // (L, H, 2T−1)
            Assert.True(Tiny.MaxAbsDiff(batched, gs.BiasPerSample.select(1, 0)) < 1e-12, $"sample {s}");
        }
    }

    [Fact]
    public void Wq_and_wk_norms_are_the_head_rows_of_the_ordinary_loss_gradient()
    {
        // Given a model and a probe batch
        torch.manual_seed(5);
        using var model = Tiny.Model(Tiny.Config("alibi", Architecture.Standard));
        using var split = RandomSplit(12, 11);
        using var probes = new Probes(model, split, 12, ignoreClass: 0);

        // When probed, and when the plain mean loss is back-propagated
        using var g = probes.Gradients();
        Assert.All(model.parameters(), p => Assert.True(p.grad is null, "a probe wrote a .grad"));
        var loss = nn.functional.cross_entropy(model.call(split.Tokens), split.Targets, ignore_index: 0);
        loss.backward();

        // Then the probe's per-head norms are the norms of rows [h·dh, (h+1)·dh) of those gradients
        for (int l = 0; l < 2; l++)
        {
            var attn = model.Blocks[l].Attention;
            var wq = attn.QueryProjection.weight!.grad!.view(Tiny.Heads, -1).norm(-1);
            var wk = attn.KeyProjection.weight!.grad!.view(Tiny.Heads, -1).norm(-1);
            Assert.True(Tiny.MaxAbsDiff(wq, g.WqNorm[l]) < 1e-12);
            Assert.True(Tiny.MaxAbsDiff(wk, g.WkNorm[l]) < 1e-12);
        }
    }

    [Fact]
    public void Coherence_is_one_for_a_batch_of_identical_samples()
    {
        // Given a batch of 8 copies of one row
        torch.manual_seed(6);
        using var model = Tiny.Model(Tiny.Config("rope", Architecture.Standard));
        var row = Tiny.Tokens(1, 12, 13);
        using var split = Split(row.expand(8, 12).contiguous(), full(8, 3L, dtype: int64));
        using var probes = new Probes(model, split, 8, ignoreClass: 0);

        // When probed
        var rows = probes.Measure(0);

        // Then every head's coherence is 1, and every row is there
        Assert.Equal(2 * Tiny.Heads * 4, rows.Count);
        Assert.All(rows.Where(r => r.Quantity == Schemas.ProbeColumns.BiasCoherence), r => Assert.Equal(1.0, r.Value, 1e-9));
    }

    [Fact]
    public void Probing_draws_no_random_numbers_and_restores_training_mode()
    {
        // Given a float32 model in training mode with dropout
        torch.manual_seed(7);
        using var model = new Transformer(Tiny.Config("rope") with { Dropout = 0.3 });
        model.train();
        using var split = RandomSplit(16, 15);
        using var probes = new Probes(model, split, 16, ignoreClass: 0);
        using var before = random.get_rng_state();

        // When probed twice
        var first = probes.Measure(1);
        var second = probes.Measure(1);

        // Then the CPU generator is where it was (eval mode: dropout draws nothing), the model trains again,
        // no parameter has a gradient, and the two probes agree exactly (no randomness)
        using var after = random.get_rng_state();
        Assert.True(Tiny.Same(before, after));
        Assert.True(model.training);
        Assert.All(model.parameters(), p => Assert.True(p.grad is null));
        Assert.Equal(first, second);
    }
}
