using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>residual_dropout.cu under the CPU emulation: x + dropout(y) against the composite with the same dropout
/// bits, the bits themselves, and the kernel inside a training model.</summary>
public class FusedResidualDropoutTests
{
    public static TheoryData<string, bool> CasesAndDtypes() => KernelPathComparison.InBothDtypes(FusedResidualDropoutCheck.Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CasesAndDtypes))]
    public void Residual_dropout_and_its_gradients_equal_the_composite_with_the_same_bits(string caseName, bool bf16)
    {
        // Given a batch, a ragged count (an element-by-element tail) or several hash keys' worth of elements
        var c = FusedResidualDropoutCheck.Cases.Single(k => k.Name == caseName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the emulated kernel and the composite (mask from KeepMask) compute x + dropout(y) and back-propagate
        double difference = FusedResidualDropoutCheck.Compare(KernelEmulator.Instance, CPU, dtype, c);

        // Then out, dx and dy agree to rounding (a single wrong decision is off by order 1)
        Assert.True(difference <= FusedResidualDropoutCheck.Tolerance(dtype), $"{difference}");
    }

    [Fact]
    public void The_kernel_drops_the_rate_asked_for_and_another_seed_drops_other_elements()
    {
        // Given y = 1 everywhere, x = 0, over 3 hash keys' worth of elements
        using var scope = NewDisposeScope();
        long n = 3 * 65536 + 123;
        var (x, y) = (zeros(n), ones(n));

        // When the kernel applies dropout 0.25 with two seeds
        var a = FusedResidualDropout.Apply(x, y, 0.25, KernelEmulator.Instance, tensor(new[] { 11L }));
        var b = FusedResidualDropout.Apply(x, y, 0.25, KernelEmulator.Instance, tensor(new[] { 12L }));

        // Then kept values are 1 / 0.75, about a quarter are dropped (binomial sd ~ 0.001), and the two masks differ as
        // independent ones would (both kept in about 0.75² of the elements)
        double keptA = a.gt(0).to(float64).mean().item<double>();
        double both = a.gt(0).logical_and(b.gt(0)).to(float64).mean().item<double>();
        Assert.Equal(1 / 0.75, a.max().item<float>(), 5);
        Assert.InRange(keptA, 0.745, 0.755);
        Assert.InRange(both, 0.5625 - 0.006, 0.5625 + 0.006);
        Assert.True(FusedResidualDropout.KeepMask(11, n, 0.25).eq(a.gt(0)).all().item<bool>(), "the host's mask is the kernel's");
    }

    [Fact]
    public void A_training_model_takes_the_kernel_for_every_residual_both_ways_and_never_in_eval()
    {
        // Given a training model with dropout whose residual connections may use the kernel
        using var scope = NewDisposeScope();
        var config = Tiny.Config("rope") with { Dropout = 0.1 };
        var model = Tiny.Model(config, float64: false);
        var counting = new CountingLauncher(KernelEmulator.Instance);
        model.KernelLauncher = counting;
        model.Kernels.ResidualDropout = true;
        var tokens = Tiny.Tokens(3, 16, seed: 4);

        // When it runs forward and backward in training, then forward in eval
        model.train();
        model.call(tokens).pow(2).sum().backward();
        int training = counting.LaunchesOf("residual_dropout");
        model.eval();
        using (no_grad()) model.call(tokens);

        // Then each block's two residuals launched once forward and once backward, and eval added none
        Assert.Equal(4 * config.Layers, training);
        Assert.Equal(training, counting.LaunchesOf("residual_dropout"));
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>()));
    }
}
