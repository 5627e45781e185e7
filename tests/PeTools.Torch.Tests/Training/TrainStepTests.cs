using PeTools.Torch.Model;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Training;

/// <summary>The training step's fast paths against their oracles (FastPaths.None), on CPU.</summary>
public class TrainStepTests
{
    /// <summary>Trains a fresh tiny model (dropout on) for <paramref name="steps"/> steps and returns its weights and state.</summary>
    internal static (Dictionary<string, Tensor> Weights, Dictionary<string, Tensor> State) Train(
        TransformerConfig config, TrainConfig train, FastPaths fast, int steps = 6)
    {
        manual_seed(21);
        using var model = new Transformer(config with { Dropout = 0.1 });
        using var step = new TrainStep(model, train, CPU, fast);
        step.Compute.train();
        var generator = new Generator(77);
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var x = randint(1, config.Vocab, [6, 12], generator: generator, dtype: int64); // (B, T)
            var y = randint(0, config.Classes, [6], generator: generator, dtype: int64);   // (B)
            step.Run(x, y, 1e-2 * (i + 1) / steps);
        }
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        var state = step.Optimizer.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());
        return (weights, state);
    }

    public static TheoryData<string, Architecture, AttentionKind, Precision> Cases() => new()
    {
        { "rope", Architecture.Reference, AttentionKind.Mha, Precision.Fp32 },
        { "relative", Architecture.Standard, AttentionKind.Mha, Precision.Fp32 },
        { "rope", Architecture.Reference, AttentionKind.Mla, Precision.Fp32 },
        { "alibi", Architecture.Reference, AttentionKind.Mha, Precision.Bf16 },
        { "rope", Architecture.Standard, AttentionKind.Mha, Precision.Bf16 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flat_buffers_train_bit_identically_to_the_per_tensor_oracle(string pe, Architecture arch,
        AttentionKind attention, Precision precision)
    {
        // Given one model config and one training config (no clipping), trained twice from the same seed
        var config = Tiny.Config(pe, arch, attention);
        var train = new TrainConfig { Precision = precision, WeightDecay = 1e-2 };

        // When one run takes the flat fast path and the other the per-tensor oracle
        var (fastW, fastS) = Train(config, train, FastPaths.Flat);
        var (slowW, slowS) = Train(config, train, FastPaths.None);

        // Then every weight and every AdamW moment is bit-identical
        Assert.Equal(slowW.Keys.Order(), fastW.Keys.Order());
        Assert.All(slowW.Keys, k => Assert.True(Tiny.Same(fastW[k], slowW[k]), $"weight {k}"));
        Assert.All(slowS.Keys, k => Assert.True(Tiny.Same(fastS[k], slowS[k]), $"state {k}"));
    }

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public void Clipping_by_one_flat_norm_matches_the_per_tensor_norms_to_float32_rounding(Precision precision)
    {
        // Given a clip norm small enough to clip every step
        var config = Tiny.Config("rope");
        var train = new TrainConfig { Precision = precision, ClipNorm = 0.05 };

        // When trained through the flat norm and through the norm of per-tensor norms (bf16: one step, since a
        // rounding difference in the master weights can flip a bf16 rounding of the compute copy in the next)
        int steps = precision == Precision.Bf16 ? 1 : 6;
        var (fastW, _) = Train(config, train, FastPaths.Flat, steps);
        var (slowW, _) = Train(config, train, FastPaths.None, steps);

        // Then the weights differ only by float32 rounding of the norm (a reduction in another order)
        Assert.All(slowW.Keys, k => Assert.True(fastW[k].allclose(slowW[k], rtol: 1e-5, atol: 1e-6),
            $"{k}: max |Δ| {Tiny.MaxAbsDiff(fastW[k], slowW[k])}"));
    }

    [Theory]
    [InlineData("rope", AttentionKind.Mha, FastPaths.All)]
    [InlineData("relative", AttentionKind.Mha, FastPaths.All)]
    [InlineData("alibi", AttentionKind.Mha, FastPaths.All)]
    [InlineData("rope", AttentionKind.Mla, FastPaths.All)]
    [InlineData("relative", AttentionKind.Mha, FastPaths.Default & ~FastPaths.LearnedBiasExplicit)] // the 4-D bias into SDPA, with its gradient
    [InlineData("alibi", AttentionKind.Mha, FastPaths.Default)]                                    // the 4-D bias into SDPA
    public void Fast_paths_train_like_the_oracles_to_float32_rounding(string pe, AttentionKind attention, FastPaths paths)
    {
        // Given a float32 reference model and training config
        var config = Tiny.Config(pe, Architecture.Reference, attention);
        var train = new TrainConfig { WeightDecay = 1e-2 };

        // When trained with the fast paths and with every oracle
        var (fastW, _) = Train(config, train, paths);
        var (slowW, _) = Train(config, train, FastPaths.None);

        // Then the weights agree to float32 rounding (the fused GEMM sums in another order). Left out: k_proj.bias,
        // whose gradient is zero in exact arithmetic (it shifts a whole logit row, which softmax ignores), so AdamW
        // steps it by ±lr on rounding noise that no two summation orders share.
        Assert.All(slowW.Keys.Where(k => !k.EndsWith("k_proj.bias", StringComparison.Ordinal)), k => Assert.True(fastW[k].allclose(slowW[k], rtol: 1e-4, atol: 1e-5),
            $"{k}: max |Δ| {Tiny.MaxAbsDiff(fastW[k], slowW[k])}"));
    }

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public void The_cuda_graph_path_changes_nothing_on_cpu(Precision precision)
    {
        // Given the default fast paths with and without CUDA graphs, clipping on (it runs inside the graphed half)
        var config = Tiny.Config("rope");
        var train = new TrainConfig { Precision = precision, ClipNorm = 0.05, WeightDecay = 1e-2 };

        // When both train on CPU, where there is nothing to capture
        var (graphW, graphS) = Train(config, train, FastPaths.Default);
        var (eagerW, eagerS) = Train(config, train, FastPaths.Default & ~FastPaths.CudaGraph);

        // Then every weight and moment is bit-identical: the step split into its graphed half and the optimizer
        // computes exactly what it did, and nothing is skipped
        Assert.All(eagerW.Keys, k => Assert.True(Tiny.Same(graphW[k], eagerW[k]), $"weight {k}"));
        Assert.All(eagerS.Keys, k => Assert.True(Tiny.Same(graphS[k], eagerS[k]), $"state {k}"));
        using var model = new Transformer(config);
        using var step = new TrainStep(model, train, CPU, FastPaths.Default);
        Assert.Null(step.GraphNote);
        Assert.Equal((0, 0L), step.GraphUse);
    }

    [Theory]
    [InlineData("rope", Precision.Fp32)]
    [InlineData("alibi", Precision.Bf16)]
    [InlineData("xpos", Precision.Bf16)]
    public void Twenty_fast_steps_leak_no_tensors(string pe, Precision precision)
    {
        // Given a model stepped by TrainStep with every fast path (flat buffers, cached tables), one scope per step
        using var model = new Transformer(Tiny.Config(pe));
        using var step = new TrainStep(model, new TrainConfig { Precision = precision, ClipNorm = 1 }, CPU);
        step.Compute.train();
        var live = new List<long>();

        // When 20 steps run (the first builds the caches)
        for (int i = 0; i < 20; i++)
        {
            using (var scope = NewDisposeScope())
                step.Run(Tiny.Tokens(2, 8, seed: i), tensor(new long[] { 1, 2 }), 1e-3);
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        // Then the number of live tensors is the same after every step but the first
        Assert.All(live.Skip(1), count => Assert.Equal(live[1], count));
    }
}
