using PeTools.Core;
using PeTools.Core.Logging;
using PeTools.Torch.Heads;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

public class PositionalVectorsTests
{
    [Fact]
    public void Subtracting_zero_vectors_at_any_layer_leaves_loss_and_accuracy_unchanged()
    {
        // Given a sinusoidal-PE model
        using var model = Planted.RandomModel(Planted.Config("sinusoidal"));
        using var data = Planted.Random();
        var baseline = Evaluator.Evaluate(model, data, 16, null);
        using var zero = zeros(Planted.Length, Planted.DModel);

        // When zero vectors are subtracted at the input of each layer
        var results = new[] { 0, 1 }.Select(l => PositionalVectors.EvaluateSubtracted(model, data, l, zero, 16, null)).ToList();

        // Then nothing changes
        Assert.All(results, r => Assert.Equal(baseline, r));
    }

    [Fact]
    public void The_positional_vectors_of_an_additive_PE_are_what_it_adds_and_removing_them_matters()
    {
        // Given a sinusoidal-PE model
        using var model = Planted.RandomModel(Planted.Config("sinusoidal"));
        using var data = Planted.Random();

        // When its p_i are read and subtracted at layer 0
        using var p = PositionalVectors.Of(model, Planted.Length, CPU)!;
        var x = randn(2, Planted.Length, Planted.DModel);
        var removed = PositionalVectors.EvaluateSubtracted(model, data, 0, p, 16, null);

        // Then p is AddToEmbedding(x) − x for any x, position 0's vector is (0, 1, 0, 1, ...), and removing it changes the loss
        Assert.True((model.PositionalEncoding.AddToEmbedding(x) - x - p).abs().max().item<float>() < 1e-6);
        Assert.Equal(1f, p[0, 1].item<float>());
        Assert.NotEqual(Evaluator.Evaluate(model, data, 16, null).Loss, removed.Loss);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("rope")]
    [InlineData("alibi")]
    public void Positional_encodings_that_add_nothing_at_the_input_are_not_applicable(string pe)
    {
        using var model = Planted.RandomModel(Planted.Config(pe));
        Assert.Null(PositionalVectors.Of(model, Planted.Length, CPU));
    }

    [Fact]
    public void Random_vectors_match_the_norm_of_each_positional_vector_and_are_reproducible()
    {
        // Given positional vectors of varied norms
        var p = randn(8, 16) * arange(8, dtype: ScalarType.Float32).view(8, 1);

        // When random vectors are drawn twice with one seed and once with another
        var a = PositionalVectors.NormMatchedRandom(p, 7);
        var b = PositionalVectors.NormMatchedRandom(p, 7);
        var c = PositionalVectors.NormMatchedRandom(p, 8);

        // Then each row has p's norm, the same seed gives the same vectors, another seed others
        Assert.True((a.norm(1) - p.norm(1)).abs().max().item<float>() < 1e-4);
        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.equal(c).all().item<bool>());
    }

    [Fact]
    public void The_sweep_reports_each_layer_with_draw_rows_and_their_mean_and_std()
    {
        // Given a learned-PE model
        using var model = Planted.RandomModel(Planted.Config("learned"));
        using var data = Planted.Random();
        using var p = PositionalVectors.Of(model, Planted.Length, CPU)!;

        // When swept with 3 draws
        var rows = PositionalVectors.Sweep(model, data, p, [0, 1], 3, 16, null, new SeedSequence(5), SilentLog.Instance);

        // Then per layer: one positional row, 3 random draws, and a mean that is their mean
        Assert.Equal(2 * (1 + 3 + 2), rows.Count);
        var layer1 = rows.Where(r => r.Layer == 1 && r.Kind == PositionalVectors.Random).ToList();
        Assert.Equal(layer1.Where(r => r.Stat == "draw").Average(r => r.Accuracy), layer1.Single(r => r.Stat == "mean").Accuracy, 12);
    }
}
