using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>What the kernel tests share: their theory rows, and a whole model run on a kernel path and on its oracle.</summary>
internal static class KernelPathComparison
{
    /// <summary>Every case name once in fp32 (false) and once in bf16 (true).</summary>
    public static TheoryData<string, bool> InBothDtypes(IEnumerable<string> names)
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in names)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    /// <summary>
    /// Runs <paramref name="model"/> forward and backward (loss Σ logits²) on <paramref name="tokens"/> with
    /// <paramref name="useKernel"/>(false), the oracle, then (true), the kernel path, and asserts that the logits agree to
    /// <paramref name="logitTolerance"/> and every parameter gradient to 1e-4, each relative to 1 + the oracle's max.
    /// </summary>
    public static void AssertKernelPathMatchesOracle(Transformer model, Tensor tokens, Action<bool> useKernel, double logitTolerance = 1e-4)
    {
        (Tensor Logits, Tensor[] Grads) Run(bool kernel)
        {
            useKernel(kernel);
            model.zero_grad();
            var logits = model.call(tokens);
            logits.pow(2).sum().backward();
            return (logits.detach(), model.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var oracle = Run(kernel: false);
        var fused = Run(kernel: true);
        Assert.True(Tiny.MaxAbsDiff(fused.Logits, oracle.Logits) < logitTolerance * (1 + oracle.Logits.abs().max().item<float>()));
        foreach (var (f, o) in fused.Grads.Zip(oracle.Grads))
            Assert.True(Tiny.MaxAbsDiff(f, o) <= 1e-4 * (1 + o.abs().max().item<float>()), $"grad differs by {Tiny.MaxAbsDiff(f, o)}");
    }

    /// <summary>
    /// The named weights of a fresh fp32 model of <paramref name="config"/> (seed 12) on the emulated kernels after three
    /// steps of the train step with <paramref name="paths"/> on (tokens, targets) at lr 1e-3; <paramref name="inspect"/>
    /// sees the model once the train step has set it up.
    /// </summary>
    public static (string Name, Tensor Value)[] WeightsAfterThreeSteps(TransformerConfig config, FastPaths paths, Tensor tokens,
                                                                       Tensor targets, Action<Transformer> inspect)
    {
        manual_seed(12);
        using var model = Tiny.Model(config, float64: false);
        model.KernelLauncher = KernelEmulator.Instance;
        using var step = new TrainStep(model, new TrainConfig { WeightDecay = 1e-2, IgnoreClass = null }, CPU, paths);
        inspect(model);
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            step.Run(tokens, targets, 1e-3);
        }
        return [.. model.named_parameters().Select(p => (p.name, p.parameter.detach().clone()))];
    }
}
