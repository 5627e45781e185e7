using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="FusedRotation"/> against its oracle <see cref="RotationTables.Apply"/> on the same random input: forward
/// values and the input's gradient under a random upstream gradient. x comes in the layouts the model hands over: a
/// transposed projection (B, T, H, dh) → (B, H, T, dh), or a slice of a wider tensor (the fused K/V GEMM's output);
/// tables for every head, or for the first heads and dims only (partial RoPE). <c>pe-train check</c> runs it on CUDA,
/// the tests on the CPU emulation of the same kernel source.
/// </summary>
public static class FusedRotationCheck
{
    /// <summary>Misaligned: the slice starts one element into a row one element wider, so no 16-byte access is aligned
    /// and the kernel takes its pair-per-thread form (the others take the 16-byte one).</summary>
    public sealed record Layout(string Name, bool Sliced, bool Partial, bool Misaligned = false);

    public static IReadOnlyList<Layout> Layouts { get; } =
    [
        new("transposed", Sliced: false, Partial: false),
        new("sliced", Sliced: true, Partial: false),
        new("partial", Sliced: true, Partial: true),
        new("misaligned", Sliced: true, Partial: false, Misaligned: true),
    ];

    /// <summary>Relative differences (forward, gradient): max |fused − oracle| / max |oracle|.</summary>
    public static (double Forward, double Gradient) Compare(IKernelLauncher launcher, Device device, ScalarType dtype, Layout layout)
    {
        using var scope = NewDisposeScope();
        const long b = 3, t = 10, h = 4, dh = 16;
        var g = new Generator(2024);
        long rotatedDims = layout.Partial ? dh / 2 : dh, rotatedHeads = layout.Partial ? 2 : h;
        var angles = randn([t, rotatedDims / 2], generator: g, dtype: float64).mul(3);
        var tables = RotationTables.Build(angles.cos().to(dtype), angles.sin().to(dtype), h, rotatedHeads, dh);
        var (c, s) = (tables.C.to(device), tables.S.to(device));
        long width = (layout.Sliced ? 3 * h * dh : h * dh) + (layout.Misaligned ? 1 : 0), start = layout.Misaligned ? 1 : h * dh;
        var source = randn([b, t, width], generator: g).to(dtype);                       // (B, T, width)
        var upstream = randn([b, h, t, dh], generator: g).to(dtype).to(device);          // (B, H, T, dh)

        (Tensor Y, Tensor Grad)? Run(bool fused)
        {
            var leaf = source.to(device).clone().requires_grad_();                       // (B, T, width), a fresh leaf per run
            var x = (layout.Sliced ? leaf.narrow(2, start, h * dh) : leaf)
                .view(b, t, h, dh).transpose(1, 2);                                      // (B, H, T, dh), strided
            if (fused && !FusedRotation.Fits(x, (c, s), launcher)) return null;
            var y = fused ? FusedRotation.Apply(x, (c, s), launcher) : RotationTables.Apply(x, (c, s));
            (y.to(ScalarType.Float32) * upstream.to(ScalarType.Float32)).sum().backward();
            return (y.detach().to(ScalarType.Float32).clone(), leaf.grad!.to(ScalarType.Float32).clone());
        }
        var (yo, go) = Run(fused: false)!.Value;
        if (Run(fused: true) is not var (yf, gf)) return (double.PositiveInfinity, double.PositiveInfinity);
        return (OracleDifference.Relative(yf, yo), OracleDifference.Relative(gf, go));
    }

    /// <summary>
    /// Tolerance of <see cref="Compare"/>: fp32, a few roundings; bf16, the oracle rounds twice per element (the product,
    /// then the sum) where the kernel rounds once, up to about three half-ulps (2^-8 relative each) of the largest value.
    /// A wrong pair, sign or table index is off by order 1.
    /// </summary>
    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 2e-2 : 1e-6;
}
