using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>column_sum.cu under the CPU emulation, as the bias gradient of <see cref="FusedLinear"/>, against libtorch's
/// linear, alone and inside whole models of both architectures.</summary>
public class FusedLinearTests
{
    public static TheoryData<string, bool> ShapesAndDtypes() => KernelPathComparison.InBothDtypes(FusedLinearCheck.Shapes.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void Linear_with_the_kernel_bias_gradient_equals_libtorch_with_all_three_gradients(string shapeName, bool bf16)
    {
        // Given a batch shape, or a ragged one (rows not a multiple of the chunk, outputs not of 32)
        var shape = FusedLinearCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the kernel path and libtorch project it and back-propagate a random upstream gradient
        double difference = FusedLinearCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape);

        // Then y, dx, dW and db agree to rounding
        Assert.True(difference <= FusedLinearCheck.Tolerance(dtype), $"{difference}");
    }

    /// <summary>x, W, b and an upstream gradient (mean ≠ 0: db must be a sum) of a check shape, as leaves' values.</summary>
    private static (Tensor[] Inputs, Tensor Upstream) Inputs(string shapeName, bool bf16)
    {
        var shape = FusedLinearCheck.Shapes.Single(s => s.Name == shapeName);
        var (dtype, g) = (bf16 ? ScalarType.BFloat16 : ScalarType.Float32, new Generator(31));
        long inputs = shape.InputDims[^1];
        Tensor[] values = [randn(shape.InputDims, generator: g), randn([shape.Outputs, inputs], generator: g).div(Math.Sqrt(inputs)),
                           randn([shape.Outputs], generator: g).mul(0.1)];
        return ([.. values.Select(v => v.to(dtype))], randn([.. shape.InputDims[..^1], shape.Outputs], generator: g).add(0.3));
    }

    private static Tensor Kernel(Tensor[] t, bool inPlace) => FusedLinear.Apply(t[0], t[1], t[2], KernelEmulator.Instance, inPlace);

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void Weight_and_bias_gradients_added_into_grad_equal_the_returned_ones(string shapeName, bool bf16)
    {
        // Given a projection's inputs as fresh leaves on the kernel path
        using var scope = NewDisposeScope();
        var (inputs, upstream) = Inputs(shapeName, bf16);

        // When it back-propagates with the in-place switch off, and on: into undefined, zeroed and pre-filled .grad
        // Then undefined .grad gets the returned gradients, zeroed .grad the same bits added in place (and libtorch's
        // linear to rounding), pre-filled .grad those values plus them
        InPlaceGradientChecks.AssertAddedEqualsReturned(inputs, upstream, Kernel, t => F.linear(t[0], t[1], t[2]),
            FusedLinearCheck.Tolerance(inputs[0].dtype));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Autograd_grad_returns_the_gradients_and_leaves_grad_alone_only_with_the_switch_off(bool bf16)
    {
        // Given a projection whose parameters' .grad hold a previous backward's gradients
        using var scope = NewDisposeScope();
        var (inputs, upstream) = Inputs("batch", bf16);

        // When autograd.grad differentiates it with respect to W and b
        // Then with the switch off it gets the gradients and .grad is untouched; with it on, nothing, and .grad is written
        InPlaceGradientChecks.AssertAutogradGradNeedsTheSwitchOff(inputs, upstream, Kernel);
    }

    [Theory]
    [InlineData(20, 33)]
    [InlineData(1030, 300)]
    public void The_finishing_kernel_adds_into_what_each_output_holds_and_rounds_once(long chunks, long d)
    {
        // Given two planes of integer partial sums and bf16 outputs holding values, the first to be added into and the
        // second to be overwritten
        using var scope = NewDisposeScope();
        var partial = arange(2 * chunks * d, dtype: ScalarType.Float32).view(2, chunks, d).remainder(61).sub(30).mul(3);
        var held = arange(d, dtype: ScalarType.Float32).mul(0.37).sub(5).to(ScalarType.BFloat16);
        var (first, second) = (held.clone(), held.clone());

        // When the kernel finishes both planes in one launch
        FusedLinear.FinishColumnSums(KernelEmulator.Instance, partial, (first, true), (second, false));

        // Then the first is round(held + Σ), one rounding of the fp32 sum, and the second round(Σ)
        var sums = partial.sum([1L]);                                                 // (2, d), exact
        Assert.Equal((held.to(ScalarType.Float32) + sums[0]).to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray(),
                     first.to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(sums[1].to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray(), second.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void The_column_sum_kernel_sums_every_row_of_every_column_once()
    {
        // Given rows of which no two columns hold the same values, over several chunks plus a ragged last one
        using var scope = NewDisposeScope();
        long rows = 3 * FusedLinear.RowsPerChunk + 5, d = 70;
        var g = arange(rows * d, dtype: ScalarType.Float32).view(rows, d).remainder(97).sub(48);

        // When the kernel sums its columns
        var sums = FusedLinear.ColumnSum(KernelEmulator.Instance, g);

        // Then each equals the exact column sum (integers: no rounding)
        Assert.Equal(g.sum([0L]).data<float>().ToArray(), sums.data<float>().ToArray());
    }

    [Theory]
    [InlineData(false, 264)]
    [InlineData(true, 264)]
    [InlineData(true, 40)]
    public void The_16_byte_kernel_sums_every_row_of_every_column_once(bool bf16, long d)
    {
        // Given integer rows (exact in bf16 and in any fp32 order) over two chunks plus a ragged third, as many columns as
        // take a block and a ragged second one (bf16: 264 = 33 vectors of 8) or a part of one
        using var scope = NewDisposeScope();
        long rows = 2 * FusedLinear.VectorRowsPerChunk + 21;
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var g = arange(rows * d, dtype: ScalarType.Float32).view(rows, d).remainder(97).sub(48).to(dtype);
        Assert.True(FusedLinear.TakesVectorLoads(KernelEmulator.Instance, g));

        // When the 16-byte kernel sums its columns
        var sums = FusedLinear.ColumnSum(KernelEmulator.Instance, g, vectorLoads: true);

        // Then each is the exact column sum, rounded once to the dtype
        var exact = g.to(ScalarType.Float32).sum([0L]).to(dtype).to(ScalarType.Float32);
        Assert.Equal(exact.data<float>().ToArray(), sums.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void Rows_that_are_not_16_byte_aligned_fall_back_to_the_scalar_kernel_with_the_same_sums()
    {
        // Given a bf16 gradient whose first element is 2 bytes past an aligned one, and one whose rows are 36 bytes wide
        using var scope = NewDisposeScope();
        var values = arange(130 * 24 + 1, dtype: ScalarType.Float32).remainder(13).sub(6).to(ScalarType.BFloat16);
        var shifted = values.narrow(0, 1, 130 * 24).view(130, 24);
        var narrow = values.narrow(0, 0, 130 * 18).view(130, 18);

        // When they are summed with 16-byte loads asked for
        // Then neither takes them, and both get their exact sums
        foreach (var g in new[] { shifted, narrow })
        {
            Assert.False(FusedLinear.TakesVectorLoads(KernelEmulator.Instance, g));
            Assert.Equal(g.to(ScalarType.Float32).sum([0L]).to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray(),
                         FusedLinear.ColumnSum(KernelEmulator.Instance, g, vectorLoads: true).to(ScalarType.Float32).data<float>().ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void Linear_with_the_16_byte_column_sums_equals_libtorch_with_all_three_gradients(string shapeName, bool bf16)
    {
        // Given a check shape (ragged-16B takes 16-byte loads in both dtypes)
        var shape = FusedLinearCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the kernel path with 16-byte column sums and libtorch project it and back-propagate
        double difference = FusedLinearCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape, vectorSums: true);

        // Then y, dx, dW and db agree to rounding
        Assert.True(difference <= FusedLinearCheck.Tolerance(dtype), $"{difference}");
    }

    [Theory]
    [MemberData(nameof(ShapesAndDtypes))]
    public void A_projection_and_its_relu_in_one_equal_libtorch_with_all_three_gradients(string shapeName, bool bf16)
    {
        // Given a check shape (ragged-16B and batch take the fused ReLU-gradient kernel in both dtypes, ragged in fp32 only)
        var shape = FusedLinearCheck.Shapes.Single(s => s.Name == shapeName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When relu(x·Wᵀ + b) runs as one projection (the ReLU in libtorch's _addmm_activation) and as linear then relu
        double difference = FusedLinearCheck.Compare(KernelEmulator.Instance, CPU, dtype, shape, vectorSums: true, relu: true);

        // Then the output and the gradients of x, W and b agree to rounding
        Assert.True(difference <= FusedLinearCheck.Tolerance(dtype), $"{difference}");
    }

    [Fact]
    public void Libtorchs_addmm_activation_is_bound_and_equals_addmm_then_relu()
    {
        // Given a bias, two factors and a preallocated output
        using var scope = NewDisposeScope();
        var g = new Generator(41);
        var (bias, a, b) = (randn([24], generator: g), randn([37, 16], generator: g), randn([16, 24], generator: g));
        var output = empty([37, 24]);

        // When libtorch's _addmm_activation writes relu(bias + a·b) into it, through its mangled name
        Assert.True(PeTools.Torch.Native.AddmmActivation.Available);
        PeTools.Torch.Native.AddmmActivation.ReluInto(output, bias, a, b);

        // Then it equals addmm then relu, bit for bit, with negative entries cut to 0
        Assert.True(output.eq(addmm(bias, a, b, 1, 1).relu()).all().item<bool>());
        Assert.True(output.min().item<float>() == 0);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(20, 33)]
    [InlineData(1030, 300)]
    public void The_finishing_kernel_adds_every_chunk_of_every_column_once_and_rounds_once(long chunks, long d)
    {
        // Given fp32 partial sums that are integers (no rounding in any order), some past bf16's 8-bit mantissa
        using var scope = NewDisposeScope();
        var partial = arange(chunks * d, dtype: ScalarType.Float32).view(chunks, d).remainder(61).sub(30).mul(3);

        // When the kernel adds the chunks, in fp32 and in bf16
        var f32 = FusedLinear.FinishColumnSum(KernelEmulator.Instance, partial, ScalarType.Float32);
        var bf16 = FusedLinear.FinishColumnSum(KernelEmulator.Instance, partial, ScalarType.BFloat16);

        // Then fp32 is the exact sum and bf16 that sum rounded once, as libtorch rounds it
        var exact = partial.sum([0L]);
        Assert.Equal(exact.data<float>().ToArray(), f32.data<float>().ToArray());
        Assert.Equal(exact.to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray(), bf16.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Theory]
    [InlineData("rope", Architecture.Reference, true)]
    [InlineData("alibi", Architecture.Standard, false)]
    public void Training_steps_adding_gradients_into_grad_equal_those_without(string pe, Architecture arch, bool flat)
    {
        // Given one fp32 model on the LayerNorm and bias kernels, its gradients in the flat buffer or per tensor
        using var scope = NewDisposeScope();
        var tokens = Tiny.Tokens(3, 16, seed: 10);
        var targets = randint(0, 7, [3], generator: new Generator(11), dtype: int64);
        (string Name, Tensor Value)[] WeightsAfterThreeSteps(bool inPlace) => KernelPathComparison.WeightsAfterThreeSteps(
            Tiny.Config(pe, arch), FastPaths.LayerNormKernel | FastPaths.BiasKernel | (flat ? FastPaths.Flat : FastPaths.None) |
                                   (inPlace ? FastPaths.ParameterGradientsInPlace : FastPaths.None),
            tokens, targets, model => Assert.Equal(inPlace, model.Kernels.AccumulateParameterGradients));

        // When it takes three steps (the first finds .grad undefined; the others add into it) with and without the switch
        var (added, returned) = (WeightsAfterThreeSteps(inPlace: true), WeightsAfterThreeSteps(inPlace: false));

        // Then every weight is bit-identical
        Assert.All(added.Zip(returned), p => Assert.True(InPlaceGradientChecks.Same(p.First.Value, p.Second.Value), p.First.Name));
    }

    [Theory]
    [InlineData("rope", Architecture.Reference)]
    [InlineData("alibi", Architecture.Standard)]
    public void A_model_on_the_bias_kernel_path_matches_libtorch_with_gradients(string pe, Architecture arch)
    {
        // Given one fp32 model (Reference also projects every layer's K and V as one GEMM)
        using var scope = NewDisposeScope();
        var model = Tiny.Model(Tiny.Config(pe, arch), float64: false);
        model.KernelLauncher = KernelEmulator.Instance;
        var tokens = Tiny.Tokens(3, 16, seed: 9);

        // When it runs forward and backward with its projections on the kernel path and in libtorch
        // Then logits and every parameter gradient (every bias among them) agree to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.LinearInKernel = kernel, logitTolerance: 1e-5);
    }
}
