using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>
/// Every run-time kernel and every opt-in fast path at once, on the CPU emulation, through the training step: the
/// interactions that no single kernel's test sees (the residual's gradient added in the LayerNorm kernel while γ, β and
/// the projections' gradients go straight into the flat .grad, 16-byte column sums, the attention kernels).
/// </summary>
public class AllKernelsTrainingTests
{
    /// <summary>The weights of a fresh fp32 model after three steps: d_model 128 (the LayerNorm's 16-byte kernels) and
    /// 8 heads of 16 (the attention kernels), dropout off (the kernels draw their own bits).</summary>
    private static Dictionary<string, Tensor> WeightsAfterThreeSteps(TransformerConfig config, FastPaths paths, bool kernels)
    {
        manual_seed(31);
        using var model = new Transformer(config);
        if (kernels) model.KernelLauncher = KernelEmulator.Instance;
        using var step = new TrainStep(model, new TrainConfig { WeightDecay = 1e-2, IgnoreClass = null }, CPU, paths);
        step.Compute.train();
        var generator = new Generator(32);
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var x = randint(1, config.Vocab, [4, 16], generator: generator, dtype: int64);  // (B, T)
            var y = randint(0, config.Classes, [4], generator: generator, dtype: int64);    // (B)
            step.Run(x, y, 3e-3);
        }
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    [Theory]
    [InlineData("alibi", Architecture.Reference)]
    [InlineData("relative", Architecture.Standard)]
    [InlineData("rope", Architecture.Reference)]
    public void Every_kernel_and_opt_in_together_trains_like_the_oracles_to_float32_rounding(string pe, Architecture arch)
    {
        // Given a float32 model whose shapes every kernel takes
        var config = Tiny.Config(pe, arch) with { DModel = 128, Heads = 8, DFF = 256, Dropout = 0 };

        // When it trains with every fast path (measured or not) on the kernels, and with every oracle without them
        var all = WeightsAfterThreeSteps(config, FastPaths.All, kernels: true);
        var oracle = WeightsAfterThreeSteps(config, FastPaths.None, kernels: false);

        // Then the weights agree to float32 rounding. Left out: k_proj.bias, whose gradient is zero in exact arithmetic,
        // so AdamW steps it by ±lr on rounding noise.
        Assert.All(oracle.Keys.Where(k => !k.EndsWith("k_proj.bias", StringComparison.Ordinal)),
            k => Assert.True(all[k].allclose(oracle[k], rtol: 1e-4, atol: 1e-5), $"{k}: max |Δ| {Tiny.MaxAbsDiff(all[k], oracle[k])}"));
    }
}
