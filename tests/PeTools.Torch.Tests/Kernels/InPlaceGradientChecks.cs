using PeTools.Torch.Kernels;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>
/// A fused function's parameter gradients added into .grad (<see cref="KernelUse.AccumulateParameterGradients"/>) against
/// the same gradients handed to autograd: what <see cref="FusedLinearTests"/> and <see cref="FusedLayerNormTests"/> share.
/// Functions f(leaves, inPlace) of leaves [data, parameter, parameter], back-propagating Σ f·upstream.
/// </summary>
internal static class InPlaceGradientChecks
{
    /// <summary>Fresh leaf copies of <paramref name="inputs"/>, with undefined .grad.</summary>
    public static Tensor[] Leaves(Tensor[] inputs) => [.. inputs.Select(t => t.clone().requires_grad_())];

    /// <summary>Back-propagates Σ f(leaves, inPlace)·upstream; returns copies of the parameters' .grad (leaves 1 on).</summary>
    public static Tensor[] Backward(Tensor[] leaves, Tensor upstream, Func<Tensor[], bool, Tensor> f, bool inPlace)
    {
        (f(leaves, inPlace).to(ScalarType.Float32) * upstream).sum().backward();
        return [.. leaves.Skip(1).Select(l => l.grad!.clone())];
    }

    /// <summary>
    /// (a) and (c): with the switch on, a first backward (.grad undefined: the gradients are returned, as before) and a
    /// second into zeroed .grad (added in place) each give the switch-off gradients bit for bit, and libtorch's oracle
    /// to <paramref name="tolerance"/> (relative to its max). (b): a third, into .grad pre-filled with nonzero values,
    /// gives those values plus the gradients (one rounding apart in bf16).
    /// </summary>
    public static void AssertAddedEqualsReturned(Tensor[] inputs, Tensor upstream, Func<Tensor[], bool, Tensor> f,
                                                 Func<Tensor[], Tensor> oracle, double tolerance)
    {
        using var scope = NewDisposeScope();
        var returned = Backward(Leaves(inputs), upstream, f, inPlace: false);
        var expected = Backward(Leaves(inputs), upstream, (t, _) => oracle(t), inPlace: false);

        var leaves = Leaves(inputs);
        var first = Backward(leaves, upstream, f, inPlace: true);
        foreach (var l in leaves) l.grad!.zero_();
        var added = Backward(leaves, upstream, f, inPlace: true);
        var g = new Generator(5);
        var filled = leaves.Skip(1).Select(l => l.grad!.copy_(randn(l.shape, generator: g)).clone()).ToArray();
        leaves[0].grad!.zero_();
        var accumulated = Backward(leaves, upstream, f, inPlace: true);

        for (int i = 0; i < returned.Length; i++)
        {
            Assert.True(Same(returned[i], first[i]), $"parameter {i}: the first backward differs");
            Assert.True(Same(returned[i], added[i]), $"parameter {i}: added into zeroed .grad, not bit-identical");
            Assert.True(Relative(added[i], expected[i]) <= tolerance, $"parameter {i}: {Relative(added[i], expected[i])} from the oracle");
            var sum = filled[i].to(ScalarType.Float32) + returned[i].to(ScalarType.Float32);
            double bound = inputs[0].dtype == ScalarType.BFloat16 ? 1e-2 : 1e-6; // bf16: round(old + Σ) against old + round(Σ)
            Assert.True(Relative(accumulated[i], sum) <= bound, $"parameter {i}: old + new off by {Relative(accumulated[i], sum)}");
        }
    }

    /// <summary>
    /// (d): pre-filled .grad, then autograd.grad with respect to the parameters. Switch off: the gradients come back (the
    /// switch-off backward's, bit for bit) and .grad is untouched. Switch on, for contrast: the kernel adds into .grad
    /// and autograd.grad gets nothing for those parameters: why the probes and Hessians must run with it off.
    /// </summary>
    public static void AssertAutogradGradNeedsTheSwitchOff(Tensor[] inputs, Tensor upstream, Func<Tensor[], bool, Tensor> f)
    {
        using var scope = NewDisposeScope();
        var returned = Backward(Leaves(inputs), upstream, f, inPlace: false);
        foreach (bool inPlace in new[] { false, true })
        {
            var leaves = Leaves(inputs);
            var parameters = leaves.Skip(1).ToArray();
            Backward(leaves, upstream, f, inPlace: false);                       // defines every .grad
            var before = parameters.Select(p => p.grad!.clone()).ToArray();
            var loss = (f(leaves, inPlace).to(ScalarType.Float32) * upstream).sum();
            var grads = autograd.grad([loss], parameters, allow_unused: true);
            for (int i = 0; i < parameters.Length; i++)
            {
                Assert.Equal(!inPlace, grads[i] is { IsInvalid: false }); // TorchSharp wraps an undefined gradient, not null
                Assert.Equal(!inPlace, Same(parameters[i].grad!, before[i]));
                if (!inPlace) Assert.True(Same(grads[i]!, returned[i]), $"parameter {i}: autograd.grad differs");
            }
        }
    }

    /// <summary>Equal element for element (bit for bit but for the sign of zero).</summary>
    public static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static double Relative(Tensor a, Tensor oracle) =>
        Tiny.MaxAbsDiff(a.to(ScalarType.Float64), oracle.to(ScalarType.Float64)) /
        Math.Max(oracle.abs().max().to(ScalarType.Float64).item<double>(), 1e-30);
}
