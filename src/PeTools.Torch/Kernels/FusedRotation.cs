using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// <see cref="RotationTables.Apply"/> (its oracle) as one run-time kernel per direction (<c>rotation.cu</c>): the tables
/// path costs three kernels forward and four backward per tensor, and reshapes a strided q or k into a copy first;
/// this reads x in whatever layout the projection left it (a transposed view, a slice of the fused K/V GEMM) and
/// writes the rotated tensor once, in (B, T, H, dh) order, so scaled-dot-product attention takes it as a view. The
/// backward is the rotation's transpose, the same kernel. Not twice differentiable: the Hessian code runs the
/// composite path (<see cref="Model.Transformer.UseAttentionPath"/> switches this off).
/// </summary>
public static class FusedRotation
{
    private const string Stem = "rotate_pairs";

    /// <summary>The kernel that moves 16 bytes per thread, where every access is 16-byte aligned (else <see cref="Stem"/>).</summary>
    internal const string WideStem = "rotate_pairs16";

    /// <summary>True when x and the tables can take this path on <paramref name="launcher"/>.</summary>
    public static bool Fits(Tensor x, (Tensor C, Tensor S) tables, IKernelLauncher launcher)
    {
        if (!RotationTables.Fits(x) || x.stride(3) != 1) return false;
        if (x.dtype != tables.C.dtype || x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16)) return false;
        if (launcher.IsCuda != (x.device.type == DeviceType.CUDA)) return false;
        if (!launcher.Has(KernelName.Of(Stem, x.dtype))) return false;
        long t = x.shape[2], dh = x.shape[3];
        var c = tables.C;
        bool shapeOk = c.dim() == 2 ? c.shape[0] == t && c.shape[1] == dh
                     : c.dim() == 3 && c.shape[0] == x.shape[1] && c.shape[1] == t && c.shape[2] == dh;
        return shapeOk && c.is_contiguous() && tables.S.is_contiguous() && x.numel() < int.MaxValue && x.shape[1] * dh / 2 < int.MaxValue;
    }

    /// <summary>rot(x) for x (B, H, T, dh): the same values as <see cref="RotationTables.Apply"/>, differentiable once.</summary>
    public static Tensor Apply(Tensor x, (Tensor C, Tensor S) tables, IKernelLauncher launcher) =>
        RotationFunction.apply(x, new Tables(tables.C, tables.S, launcher)).transpose(1, 2);   // (B, H, T, dh)

    /// <summary>
    /// One launch: x (B, H, T, dh), last dim contiguous, → (B, T, H, dh) contiguous; inverse = the transpose (backward).
    /// 16 bytes per thread where x, the tables and the output allow aligned 128-bit accesses, else a pair per thread.
    /// </summary>
    internal static Tensor Launch(IKernelLauncher launcher, Tensor x, Tensor c, Tensor s, bool inverse)
    {
        long b = x.shape[0], h = x.shape[1], t = x.shape[2], dh = x.shape[3];
        var output = empty([b, t, h, dh], dtype: x.dtype, device: x.device);                 // (B, T, H, dh)
        if (output.numel() == 0) return output;
        long tableHeadStride = c.dim() == 3 ? t * dh : 0;
        var (xp, cp, sp) = (TensorPointer.Of(x), TensorPointer.Of(c), TensorPointer.Of(s));
        long lanes = 16 / x.element_size();                                                  // elements per 16 bytes
        bool wide = launcher.Has(KernelName.Of(WideStem, x.dtype)) && dh % lanes == 0 &&
                    x.stride(0) % lanes == 0 && x.stride(1) % lanes == 0 && x.stride(2) % lanes == 0 &&
                    xp % 16 == 0 && cp % 16 == 0 && sp % 16 == 0 && TensorPointer.Of(output) % 16 == 0;
        if (wide)
        {
            long threadsTotal = b * t * h * (dh / lanes);
            const uint threads = 256;
            launcher.Launch(KernelName.Of(WideStem, x.dtype), new KernelGrid((uint)((threadsTotal + threads - 1) / threads), 1, threads),
            [
                xp, TensorPointer.Of(output), cp, sp, b * t,
                t, h, dh, x.stride(0), x.stride(1), x.stride(2), tableHeadStride, inverse ? 1 : 0,
            ]);
            return output;
        }
        long pairsPerRow = h * dh / 2;
        uint rowThreads = (uint)Math.Min(1024, Math.Max(32, (pairsPerRow + 31) / 32 * 32));
        launcher.Launch(KernelName.Of(Stem, x.dtype), new KernelGrid((uint)(b * t), 1, rowThreads),
        [
            xp, TensorPointer.Of(output), cp, sp,
            t, h, dh, x.stride(0), x.stride(1), x.stride(2), tableHeadStride, inverse ? 1 : 0,
        ]);
        return output;
    }

    /// <summary>The tables and launcher of one call: not tensors of the graph (no gradient flows to them).</summary>
    private sealed record Tables(Tensor C, Tensor S, IKernelLauncher Launcher);

    internal sealed class RotationFunction : SingleTensorFunction<RotationFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedRotation);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var tables = (Tables)vars[1];
            ctx.save_data(nameof(Tables), tables);
            return Launch(tables.Launcher, x, tables.C, tables.S, inverse: false);            // (B, T, H, dh)
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            var tables = (Tables)ctx.get_data(nameof(Tables));
            Tensor dx;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                var g = grad.transpose(1, 2);                                                  // (B, H, T, dh) view
                if (g.stride(3) != 1) g = g.contiguous();
                dx = Launch(tables.Launcher, g, tables.C, tables.S, inverse: true).transpose(1, 2).DetachFromDisposeScope(); // (B, H, T, dh)
            }
            grad.Dispose();
            return HandOff.Slots(dx, null); // the tables take no gradient
        }
    }
}
