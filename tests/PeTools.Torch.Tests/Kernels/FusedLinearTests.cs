using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using TorchSharp;
using static TorchSharp.torch;

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
