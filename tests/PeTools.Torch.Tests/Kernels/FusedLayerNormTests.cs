using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>
/// layer_norm.cu under the threaded CPU emulation (its warps exchange values by shuffles) against libtorch's
/// layer_norm, alone and inside whole models of both architectures.
/// </summary>
public class FusedLayerNormTests
{
    public static TheoryData<string, bool> ShapesAndDtypes() => KernelPathComparison.InBothDtypes(FusedLayerNormCheck.Shapes.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void Kernel_layer_norm_and_its_three_gradients_equal_libtorch(string shapeName, bool bf16)
    {
        // Given a batch shape, or a ragged one (rows not a multiple of 8 or of the chunk, d not a multiple of 32)
        var shape = FusedLayerNormCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the emulated kernels and libtorch normalise it and back-propagate a random upstream gradient
        double difference = FusedLayerNormCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape);

        // Then y, dx, dγ and dβ agree to rounding
        Assert.True(difference <= FusedLayerNormCheck.Tolerance(dtype), $"{difference}");
    }

    [Fact]
    public void Without_a_graph_the_kernel_saves_nothing_and_gives_the_same_values()
    {
        // Given an input and an affine LayerNorm, under no_grad
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var x = randn([5, 7, 40], generator: g);
        var (w, b) = (randn([40], generator: g), randn([40], generator: g));
        using var _ = no_grad();

        // When the kernel normalises it
        var y = FusedLayerNorm.Apply(x, w, b, 1e-5, KernelEmulator.Instance);

        // Then it equals libtorch's LayerNorm, with no autograd history
        Assert.True(Tiny.MaxAbsDiff(y, nn.functional.layer_norm(x, [40], w, b, 1e-5)) < 1e-5);
        Assert.False(y.requires_grad);
    }

    [Theory]
    [InlineData("rope", Architecture.Reference)]
    [InlineData("alibi", Architecture.Standard)]
    public void A_model_on_the_layer_norm_kernel_path_matches_libtorch_with_gradients(string pe, Architecture arch)
    {
        // Given one fp32 model (Standard also has a final LayerNorm)
        using var scope = NewDisposeScope();
        var model = Tiny.Model(Tiny.Config(pe, arch), float64: false);
        model.KernelLauncher = KernelEmulator.Instance;
        var tokens = Tiny.Tokens(3, 16, seed: 8);

        // When it runs forward and backward with its LayerNorms in the kernel and in libtorch
        // Then logits and every parameter gradient (LayerNorm γ and β among them) agree to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.LayerNormInKernel = kernel);
    }
}
