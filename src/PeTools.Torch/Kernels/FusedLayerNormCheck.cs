using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedLayerNorm"/> against libtorch's <c>layer_norm</c> (its oracle) on the same random input, weight and
/// bias (not the identity: γ must matter): the output and the gradients of x, γ and β under a random upstream
/// gradient. Shapes cover a (B, T, D) batch, a row count that is neither a multiple of a block's 8 rows nor of the γ/β
/// kernel's chunk, and a D that is not a multiple of the 32 lanes. <c>pe-train check</c> runs it on CUDA, the tests on
/// the CPU emulation of the same kernel source.
/// </summary>
public static class FusedLayerNormCheck
{
    public sealed record Shape(string Name, long[] Dims);

    public static IReadOnlyList<Shape> Shapes { get; } =
    [
        new("batch", [3, 10, 96]),
        new("ragged", [2 * FusedLayerNorm.RowsPerChunk + 13, 48]),
    ];

    /// <summary>The largest relative difference of y, dx, dγ and dβ: max |kernel − oracle| / max |oracle|, per tensor.</summary>
    public static double Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Shape shape)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(77);
        long d = shape.Dims[^1];
        var x0 = randn(shape.Dims, generator: g).mul(2).add(0.5).to(dtype);
        var w0 = randn([d], generator: g).mul(0.5).add(1).to(dtype);
        var b0 = randn([d], generator: g).mul(0.1).to(dtype);
        var upstream = randn(shape.Dims, generator: g).to(ScalarType.Float32).to(device);
        return OracleDifference.OfOutputAndGradients([x0, w0, b0], device, upstream,
            t => FusedLayerNorm.Fits(t[0], t[1], t[2], launcher) ? FusedLayerNorm.Apply(t[0], t[1], t[2], 1e-5, launcher) : null,
            t => F.layer_norm(t[0], [d], t[1], t[2], 1e-5));
    }

    /// <summary>
    /// fp32: summation order only (rows of ≤ 100 values, chunks of 64 rows). bf16: one rounding of each stored value
    /// (2^-8 relative) where the oracle's statistics and sums are fp32 like the kernel's; the γ/β sums add bf16 inputs
    /// whose products round differently. A wrong statistic, index or sign is off by order 1.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 2e-2 : 1e-5;
}
