using PeTools.Core;
using PeTools.Core.Heads;
using PeTools.Core.Logging;
using PeTools.Torch.Heads;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

public class HeadAblationTests
{
    [Fact]
    public void Ablation_and_deposit_find_the_planted_head_with_all_the_concentration()
    {
        // Given a model whose classifier sees only head 2 of layer 0, on rows it labels itself
        using var model = Planted.Model(head: 2);
        using var data = Planted.LabelledBy(model);
        using var ablation = new HeadAblation(model, data, 64, ignoreClass: null, new SeedSequence(0));

        // When every head is zero-ablated and each layer summarised
        var rows = ablation.Sweep([0, 1], AblationMode.Zero, AblationScope.Head, SilentLog.Instance);
        var layer0 = DepositScore.Summarise(rows.Where(r => r.Layer == 0).Select(r => r.AccuracyDrop).ToList(), new DepositThresholds());
        var layer1 = DepositScore.Summarise(rows.Where(r => r.Layer == 1).Select(r => r.AccuracyDrop).ToList(), new DepositThresholds());

        // Then (the labels are varied: no class holds half the rows) head 2 of layer 0 is the deposit, holding all of the drop; every other head costs exactly nothing
        Assert.True(data.Targets.bincount(null).max().item<long>() < data.Count / 2);
        Assert.Equal(1.0, rows[0].BaselineAccuracy);
        Assert.Equal(2, layer0.TopHead);
        Assert.True(layer0.TopDrop > 0.3, $"top drop {layer0.TopDrop}");
        Assert.Equal(1.0, layer0.Concentration, 12);
        Assert.Equal(0.75, layer0.Gini, 12);
        Assert.Equal(DepositPattern.Deposit, layer0.Pattern);
        Assert.All(rows.Where(r => !(r.Layer == 0 && r.Head == 2)), r => Assert.Equal(0.0, r.AccuracyDrop));
        Assert.Equal(DepositPattern.Average, layer1.Pattern);
    }

    [Fact]
    public void Zero_ablation_by_hook_equals_zeroing_the_heads_W_V_rows_and_bias_and_leaves_weights_alone()
    {
        // Given a random model, a copy of it, and random targets
        var config = Planted.Config();
        using var model = Planted.RandomModel(config);
        using var copy = Planted.RandomModel(config);
        copy.load_state_dict(model.state_dict());
        using var data = Planted.Random();
        var before = Planted.Param(model, "blocks.1.attn.v_proj.weight").clone();

        // When head 1 of layer 1 is ablated by the hook, and the copy's W_V rows and bias for it are zeroed (transvis.py)
        using var ablation = new HeadAblation(model, data, 16, null, new SeedSequence(0));
        var (hookLoss, hookAcc) = ablation.Evaluate(1, 1, AblationMode.Zero, AblationScope.Head);
        using (no_grad())
        {
            int dh = Planted.DModel / Planted.Heads;
            Planted.Param(copy, "blocks.1.attn.v_proj.weight").narrow(0, dh, dh).zero_();
            Planted.Param(copy, "blocks.1.attn.v_proj.bias").narrow(0, dh, dh).zero_();
        }
        var (rowLoss, rowAcc) = Evaluator.Evaluate(copy, data, 16, null);

        // Then both give the same loss and accuracy, the ablation mattered, and the hooked model's weights are intact
        Assert.Equal(rowLoss, hookLoss, 5);
        Assert.Equal(rowAcc, hookAcc);
        Assert.True(Math.Abs(hookLoss - ablation.Baseline().Loss) > 1e-4);
        Assert.True(Planted.Param(model, "blocks.1.attn.v_proj.weight").equal(before).all().item<bool>());
    }

    [Fact]
    public void Mean_ablation_of_a_head_whose_output_is_constant_changes_nothing_while_zeroing_it_does()
    {
        // Given a model in which head 3 of layer 0 outputs the same z everywhere (W_V rows 0, bias rows a constant)
        using var model = Planted.RandomModel(Planted.Config());
        model.to(ScalarType.Float64);
        using (no_grad())
        {
            int dh = Planted.DModel / Planted.Heads;
            Planted.Param(model, "blocks.0.attn.v_proj.weight").narrow(0, 3 * dh, dh).zero_();
            Planted.Param(model, "blocks.0.attn.v_proj.bias").narrow(0, 3 * dh, dh).fill_(0.7);
        }
        using var data = Planted.Random();
        using var ablation = new HeadAblation(model, data, 16, null, new SeedSequence(0));
        var baseline = ablation.Baseline();

        // When that head is mean-ablated, and then zero-ablated
        var mean = ablation.Evaluate(0, 3, AblationMode.Mean, AblationScope.Head);
        var zero = ablation.Evaluate(0, 3, AblationMode.Zero, AblationScope.Head);

        // Then the mean leaves loss and accuracy as they were; zero does not (its constant was doing something)
        Assert.Equal(baseline.Loss, mean.Loss, 6);
        Assert.Equal(baseline.Accuracy, mean.Accuracy);
        Assert.True(Math.Abs(zero.Loss - baseline.Loss) > 1e-3);
    }

    [Fact]
    public void Keeping_only_the_planted_head_loses_nothing_and_keeping_another_loses_the_whole_drop()
    {
        // Given the planted model
        using var model = Planted.Model(head: 2);
        using var data = Planted.LabelledBy(model);
        using var ablation = new HeadAblation(model, data, 64, null, new SeedSequence(0));

        // When every head of layer 0 but one is resampled from other rows
        var keep2 = ablation.Evaluate(0, 2, AblationMode.Resample, AblationScope.AllButHead);
        var keep0 = ablation.Evaluate(0, 0, AblationMode.Resample, AblationScope.AllButHead);

        // Then keeping head 2 is the intact model, and keeping head 0 alone loses most of the rows
        Assert.Equal(1.0, keep2.Accuracy);
        Assert.True(keep0.Accuracy < 0.6, $"accuracy with head 2 resampled: {keep0.Accuracy}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void Resample_pairs_every_row_with_another_row_as_a_permutation(int batch)
    {
        // Given a seeded generator
        var rng = new Random(batch);

        // When a pairing is drawn
        var pair = HeadAblation.Pairing(batch, rng, CPU).data<long>().ToArray();

        // Then it is a permutation without fixed points
        Assert.Equal(Enumerable.Range(0, batch).Select(i => (long)i), pair.Order());
        Assert.All(Enumerable.Range(0, batch), i => Assert.NotEqual(i, pair[i]));
    }
}
