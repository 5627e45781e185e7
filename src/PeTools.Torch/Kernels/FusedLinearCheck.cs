using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedLinear"/> against libtorch's <c>linear</c> (its oracle) on the same random input, weight and bias:
/// the output and the gradients of x, W and b under a random upstream gradient. Shapes cover a (B, T, in) batch and a
/// row count that is not a multiple of the column-sum kernel's chunk, with an output width that is not a multiple of
/// its 32-thread steps. <c>pe-train check</c> runs it on CUDA, the tests on the CPU emulation of the same source.
/// </summary>
public static class FusedLinearCheck
{
    public sealed record Shape(string Name, long[] InputDims, long Outputs);

    public static IReadOnlyList<Shape> Shapes { get; } =
    [
        new("batch", [3, 10, 48], 96),
        new("ragged", [2 * FusedLinear.RowsPerChunk + 13, 40], 300),
        // 16-byte loads: 264 bf16 columns are 33 vectors (a second, ragged block of 32), the rows a ragged third chunk.
        new("ragged-16B", [2 * FusedLinear.VectorRowsPerChunk + 21, 40], 264),
    ];

    /// <summary>The largest relative difference of y, dx, dW and db: max |kernel − oracle| / max |oracle|, per tensor.
    /// <paramref name="vectorSums"/>: the bias gradient by the 16-byte column-sum kernel where it fits. <paramref name="relu"/>:
    /// <see cref="FusedLinear.ApplyRelu"/> against relu(linear(x)).</summary>
    public static double Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Shape shape, bool vectorSums = false, bool relu = false)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(78);
        long inputs = shape.InputDims[^1];
        var x0 = randn(shape.InputDims, generator: g).to(dtype);
        var w0 = randn([shape.Outputs, inputs], generator: g).div(Math.Sqrt(inputs)).to(dtype);
        var b0 = randn([shape.Outputs], generator: g).mul(0.1).to(dtype);
        var upstream = randn([.. shape.InputDims[..^1], shape.Outputs], generator: g).add(0.3).to(device); // a mean ≠ 0: db must be a sum
        return OracleDifference.OfOutputAndGradients([x0, w0, b0], device, upstream,
            t => FusedLinear.Fits(t[0], t[1], t[2], launcher) ? (relu ? FusedLinear.ApplyRelu(t[0], t[1], t[2], launcher, vectorSums: vectorSums) : FusedLinear.Apply(t[0], t[1], t[2], launcher, vectorSums: vectorSums)) : null,
            t => relu ? F.relu(F.linear(t[0], t[1], t[2])) : F.linear(t[0], t[1], t[2]));
    }

    /// <summary>
    /// y, dx and dW are libtorch's own GEMMs (identical); db differs in summation order only: fp32 over ≤ 200 rows, and
    /// bf16 one rounding of the sum (2^-8 relative). A wrong column, chunk or a missed row is off by order 1/rows or more.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 1e-2 : 1e-5;
}
