using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedResidualDropout"/> against its oracle, x + where(keep, y / (1 − p), 0) with the kernel's own keep
/// decisions (<see cref="FusedResidualDropout.KeepMask"/>): the output and the gradients of x and y under a random
/// upstream gradient. Shapes: a (B, T, D) batch (the 16-byte form), a count that is not a multiple of 8 (the
/// element-by-element tail), and more than 2^16 elements (several keys of the hash); dropout 0.1 and 0. <c>pe-train
/// check</c> runs it on CUDA, the tests on the CPU emulation of the same source.
/// </summary>
public static class FusedResidualDropoutCheck
{
    public sealed record Case(string Name, long[] Shape, double Dropout);

    public static IReadOnlyList<Case> Cases { get; } =
    [
        new("batch", [3, 10, 48], 0.1),
        new("ragged", [7, 13], 0.3),
        new("keys", [5, 128, 130], 0.1),
        new("no-dropout", [3, 10, 48], 0.0),
    ];

    /// <summary>The largest relative difference of the output, dx and dy: max |kernel − oracle| / max |oracle|, per tensor.</summary>
    public static double Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Case c)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(91);
        var x0 = randn(c.Shape, generator: g).to(dtype);
        var y0 = randn(c.Shape, generator: g).to(dtype);
        var upstream = randn(c.Shape, generator: g).to(device);
        const long seedValue = 0x1234_5678_9abc_def1;
        var seed = tensor(new[] { seedValue }).to(device);
        var keep = FusedResidualDropout.KeepMask(seedValue, x0.numel(), c.Dropout).view(c.Shape).to(device);
        double scale = 1.0 / (1.0 - c.Dropout);
        return OracleDifference.OfOutputAndGradients([x0, y0], device, upstream,
            t => FusedResidualDropout.Fits(t[0], t[1], launcher) ? FusedResidualDropout.Apply(t[0], t[1], c.Dropout, launcher, seed) : null,
            t => t[0] + where(keep, t[1] * scale, zeros_like(t[1])));
    }

    /// <summary>
    /// fp32: one rounding of x + y·s against two; bf16: the kernel rounds the fp32 sum once, the oracle rounds the scaled
    /// branch and then the sum (about two half-ulps, 2^-8 relative, of the largest value). A wrong decision moves one
    /// element by order 1.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 1e-2 : 1e-6;
}
