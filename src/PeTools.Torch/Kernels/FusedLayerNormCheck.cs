using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedLayerNorm"/> against libtorch's <c>layer_norm</c> (its oracle) on the same random input, weight and
/// bias (not the identity: γ must matter): the output and the gradients of x, γ and β under a random upstream
/// gradient. Shapes cover both forms of the kernels: the scalar ones for a (B, T, D) batch and for a row count that is
/// neither a multiple of a block's 8 rows nor of the γ/β kernel's chunk with a D that is not a multiple of the 32 lanes;
/// the 16-byte ones for D = 256 (1 vector per lane in bf16, 2 in fp32) and for D = 512 with ragged rows over two blocks
/// of the fused backward (2 vectors in bf16; 4 in fp32, whose backward is then the scalar pair); the scalar ones again
/// for D = 256 when x is not 16-byte aligned.
/// <c>pe-train check</c> runs it on CUDA, the tests on the CPU emulation of the same kernel source.
/// </summary>
public static class FusedLayerNormCheck
{
    /// <summary>Misaligned: x starts one element into its storage, so no 16-byte access to it is aligned and the
    /// kernels take their scalar form.</summary>
    public sealed record Shape(string Name, long[] Dims, bool Misaligned = false);

    public static IReadOnlyList<Shape> Shapes { get; } =
    [
        new("batch", [3, 10, 96]),
        new("ragged", [2 * FusedLayerNorm.RowsPerChunk + 13, 48]),
        new("wide", [2, 8, 256]),
        new("wide-ragged", [37, 512]),
        new("misaligned", [2, 8, 256], Misaligned: true),
    ];

    /// <summary>The largest relative difference of y, dx, dγ and dβ: max |kernel − oracle| / max |oracle|, per tensor.
    /// <paramref name="withResidual"/>: <see cref="FusedLayerNorm.ApplyWithResidual"/> against (layer_norm(x), x), both
    /// outputs used (the second scaled by 0.75), so dx also carries the residual's gradient, added in the kernel.</summary>
    public static double Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Shape shape, bool withResidual = false)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(77);
        long d = shape.Dims[^1];
        var x0 = randn(shape.Dims, generator: g).mul(2).add(0.5).to(dtype);
        var w0 = randn([d], generator: g).mul(0.5).add(1).to(dtype);
        var b0 = randn([d], generator: g).mul(0.1).to(dtype);
        long[] outputDims = [.. shape.Dims[..^1], withResidual ? 2 * d : d];
        var upstream = randn(outputDims, generator: g).to(ScalarType.Float32).to(device);
        return OracleDifference.OfOutputAndGradients([x0, w0, b0], device, upstream,
            t => FusedLayerNorm.Fits(t[0], t[1], t[2], launcher) ? Kernel(shape.Misaligned ? OneElementIn(t[0]) : t[0], t[1], t[2]) : null,
            t => withResidual ? cat([F.layer_norm(t[0], [d], t[1], t[2], 1e-5), t[0].mul(0.75)], -1) : F.layer_norm(t[0], [d], t[1], t[2], 1e-5));

        Tensor Kernel(Tensor x, Tensor w, Tensor b)
        {
            if (!withResidual) return FusedLayerNorm.Apply(x, w, b, 1e-5, launcher);
            var (normed, residual) = FusedLayerNorm.ApplyWithResidual(x, w, b, 1e-5, launcher);
            return cat([normed, residual.mul(0.75)], -1);
        }
    }

    /// <summary>x's values, contiguous, one element into a fresh storage (differentiable: a slice of a concatenation).</summary>
    private static Tensor OneElementIn(Tensor x) =>
        cat([zeros(1, dtype: x.dtype, device: x.device), x.flatten()]).narrow(0, 1, x.numel()).view(x.shape);

    /// <summary>
    /// fp32: summation order only (rows of ≤ 512 values, chunks of up to 64 rows). bf16: one rounding of each stored value
    /// (2^-8 relative) where the oracle's statistics and sums are fp32 like the kernel's; the γ/β sums add bf16 inputs
    /// whose products round differently. A wrong statistic, index or sign is off by order 1.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 2e-2 : 1e-5;

    /// <summary>
    /// With the residual passed on: the oracle rounds LayerNorm's dx and the residual's gradient to the dtype before
    /// autograd adds them, the kernel adds in fp32 and rounds once, so where the two terms cancel the oracle's dx is off
    /// by up to two more roundings of terms larger than the sum (bf16 ragged: 0.0206 of the max against 0.02).
    /// </summary>
    public static double ResidualTolerance(ScalarType dtype) => 2 * Tolerance(dtype);
}
