using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using PeTools.Torch.Training;
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
        // Given a batch shape, a ragged one (rows not a multiple of 8 or of the chunk, d not a multiple of 32), rows of
        // whole 16-byte vectors per lane (ragged too), or a misaligned x
        var shape = FusedLayerNormCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the emulated kernels and libtorch normalise it and back-propagate a random upstream gradient
        double difference = FusedLayerNormCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape);

        // Then y, dx, dγ and dβ agree to rounding
        Assert.True(difference <= FusedLayerNormCheck.Tolerance(dtype), $"{difference}");
    }

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void Layer_norm_passing_x_on_adds_the_residual_gradient_into_dx_as_autograd_would(string shapeName, bool bf16)
    {
        // Given a shape of every kernel form (scalar, 16-byte, misaligned)
        var shape = FusedLayerNormCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When (LN(x), x′) from the kernel and (layer_norm(x), x) from libtorch both feed a later op and back-propagate
        double difference = FusedLayerNormCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape, withResidual: true);

        // Then the outputs and the gradients of x (both uses), γ and β agree to rounding
        Assert.True(difference <= FusedLayerNormCheck.ResidualTolerance(dtype), $"{difference}");
    }

    public static TheoryData<string, bool, bool, bool> Paths() => new()
    {
        // shape, bf16, 16-byte forward, fused backward
        { "batch", false, false, false },
        { "batch", true, false, false },
        { "ragged", false, false, false },
        { "ragged", true, false, false },
        { "wide", false, true, true },
        { "wide", true, true, true },
        { "wide-ragged", false, true, false },
        { "wide-ragged", true, true, true },
        { "misaligned", false, false, false },
        { "misaligned", true, false, false },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Aligned_rows_of_whole_vectors_take_the_16_byte_kernels_and_the_others_the_scalar_ones(string shapeName, bool bf16,
                                                                                                     bool wideForward, bool fusedBackward)
    {
        // Given a launcher that counts the launches of each LayerNorm kernel
        var shape = FusedLayerNormCheck.Shapes.Single(s => s.Name == shapeName);
        var counting = new CountingLauncher(KernelEmulator.Instance);

        // When the check normalises x of this shape and back-propagates
        FusedLayerNormCheck.Compare(counting, CPU, bf16 ? ScalarType.BFloat16 : ScalarType.Float32, shape);

        // Then d of 1 to 4 vectors per lane (aligned) goes to the 16-byte forward, of 1 or 2 to the fused backward, and
        // the rest (d not a whole number of them, 4 vectors backward, x misaligned) to the scalar kernels
        var forward = (counting.LaunchesOf(FusedLayerNorm.WideForwardStem + "_"), counting.LaunchesOf("layer_norm_fwd_"));
        Assert.Equal(wideForward ? (1, 0) : (0, 1), forward);
        var backward = (counting.LaunchesOf(FusedLayerNorm.FusedBackwardStem + "_"), counting.LaunchesOf("layer_norm_bwd_dx_"),
                        counting.LaunchesOf("layer_norm_bwd_gb_"));
        Assert.Equal(fusedBackward ? (1, 0, 0) : (0, 1, 1), backward);
    }

    [Theory]
    [InlineData(128, false, 1)]   // forward and fused backward
    [InlineData(384, false, 3)]   // forward; backward on the scalar kernels
    [InlineData(768, true, 3)]
    [InlineData(1024, true, 4)]
    public void Every_vector_count_of_the_16_byte_kernels_equals_libtorch(long d, bool bf16, int vectors)
    {
        // Given 41 rows (two blocks of the 16-byte kernels, three passes of 8 rows each, the last holding one row) of a d
        // that the check shapes leave out (they have 2 vectors per lane in both dtypes and 1 and 4 in one each), and a
        // launcher that counts launches
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var counting = new CountingLauncher(KernelEmulator.Instance);

        // When the kernels normalise it and back-propagate
        double difference = FusedLayerNormCheck.Compare(counting, CPU, dtype, new FusedLayerNormCheck.Shape($"d{d}", [41, d]));

        // Then the forward of this many vectors per lane ran, and y, dx, dγ and dβ agree with libtorch to rounding
        Assert.Equal(1, counting.LaunchesOf(KernelName.Of($"{FusedLayerNorm.WideForwardStem}_v{vectors}", dtype)));
        Assert.True(difference <= FusedLayerNormCheck.Tolerance(dtype), $"{difference}");
    }

    /// <summary>x, γ (not the identity: it must matter), β and an upstream gradient of a check shape, as leaves' values.</summary>
    private static (Tensor[] Inputs, Tensor Upstream) Inputs(string shapeName, bool bf16)
    {
        var shape = FusedLayerNormCheck.Shapes.Single(s => s.Name == shapeName);
        var (dtype, g, d) = (bf16 ? ScalarType.BFloat16 : ScalarType.Float32, new Generator(32), shape.Dims[^1]);
        Tensor[] values = [randn(shape.Dims, generator: g).mul(2).add(0.5), randn([d], generator: g).mul(0.5).add(1),
                           randn([d], generator: g).mul(0.1)];
        return ([.. values.Select(v => v.to(dtype))], randn(shape.Dims, generator: g));
    }

    private static Tensor Kernel(Tensor[] t, bool inPlace) => FusedLayerNorm.Apply(t[0], t[1], t[2], 1e-5, KernelEmulator.Instance, inPlace);

    /// <summary>The check shapes but the misaligned one (the in-place adds do not depend on x's alignment).</summary>
    public static TheoryData<string, bool> AlignedShapesAndDtypes() =>
        KernelPathComparison.InBothDtypes(FusedLayerNormCheck.Shapes.Where(s => !s.Misaligned).Select(s => s.Name));

    [Theory]
    [MemberData(nameof(AlignedShapesAndDtypes))]
    public void Gamma_and_beta_gradients_added_into_grad_equal_the_returned_ones(string shapeName, bool bf16)
    {
        // Given a LayerNorm's inputs as fresh leaves on the kernel path (scalar and fused backward, in both dtypes)
        using var scope = NewDisposeScope();
        var (inputs, upstream) = Inputs(shapeName, bf16);
        long d = inputs[0].shape[^1];

        // When it back-propagates with the in-place switch off, and on: into undefined, zeroed and pre-filled .grad
        // Then undefined .grad gets the returned gradients, zeroed .grad the same bits added in place (and libtorch's
        // layer_norm to rounding), pre-filled .grad those values plus them
        InPlaceGradientChecks.AssertAddedEqualsReturned(inputs, upstream, Kernel, t => nn.functional.layer_norm(t[0], [d], t[1], t[2], 1e-5),
            FusedLayerNormCheck.Tolerance(inputs[0].dtype));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Autograd_grad_returns_the_gradients_and_leaves_grad_alone_only_with_the_switch_off(bool bf16)
    {
        // Given a LayerNorm whose γ and β .grad hold a previous backward's gradients
        using var scope = NewDisposeScope();
        var (inputs, upstream) = Inputs("wide", bf16);

        // When autograd.grad differentiates it with respect to γ and β
        // Then with the switch off it gets the gradients and .grad is untouched; with it on, nothing, and .grad is written
        InPlaceGradientChecks.AssertAutogradGradNeedsTheSwitchOff(inputs, upstream, Kernel);
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
    public void A_model_whose_layer_norms_carry_the_residual_gradient_matches_autograd_adding_it(string pe, Architecture arch)
    {
        // Given one fp32 model on the LayerNorm kernel path (Reference: layer 0's input also feeds the K/V projections)
        using var scope = NewDisposeScope();
        var model = Tiny.Model(Tiny.Config(pe, arch), float64: false);
        model.KernelLauncher = KernelEmulator.Instance;
        model.LayerNormInKernel = true;
        var tokens = Tiny.Tokens(3, 16, seed: 9);

        // When it runs forward and backward with each block's residual gradient added in the LayerNorm kernel, and by autograd
        // Then logits agree exactly (the forward is the same) and every parameter gradient to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.Kernels.ResidualGradientInNorm = kernel, logitTolerance: 1e-9);
    }

    [Fact]
    public void Training_steps_with_the_residual_gradient_in_the_norms_train_like_autograd_adding_it()
    {
        // Given one fp32 model on the LayerNorm kernel, with gradients added into .grad, stepped by the train step
        using var scope = NewDisposeScope();
        var tokens = Tiny.Tokens(3, 16, seed: 10);
        var targets = randint(0, 7, [3], generator: new Generator(11), dtype: int64);
        (string Name, Tensor Value)[] WeightsAfterThreeSteps(bool inNorm) => KernelPathComparison.WeightsAfterThreeSteps(
            Tiny.Config("alibi", Architecture.Reference), FastPaths.LayerNormKernel | FastPaths.Flat | FastPaths.ParameterGradientsInPlace |
                                                          (inNorm ? FastPaths.ResidualGradientInNorm : FastPaths.None),
            tokens, targets, model => Assert.Equal(inNorm, model.Kernels.ResidualGradientInNorm));

        // When it takes three steps with the switch on and off
        var (inNorm, byAutograd) = (WeightsAfterThreeSteps(inNorm: true), WeightsAfterThreeSteps(inNorm: false));

        // Then every weight agrees to fp32 rounding (dx rounds once in the kernel, twice more through autograd's add). Left
        // out: k_proj.bias, whose gradient is zero in exact arithmetic, so AdamW steps it by ±lr on rounding noise.
        Assert.All(inNorm.Zip(byAutograd).Where(p => !p.First.Name.EndsWith("k_proj.bias", StringComparison.Ordinal)),
            p => Assert.True(p.First.Value.allclose(p.Second.Value, rtol: 1e-5, atol: 1e-6), $"{p.First.Name}: max |Δ| {Tiny.MaxAbsDiff(p.First.Value, p.Second.Value)}"));
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
