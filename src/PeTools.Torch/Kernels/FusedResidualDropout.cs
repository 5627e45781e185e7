using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PeTools.Torch.Kernels;

/// <summary>
/// The residual connection with dropout on its branch, x + dropout(y), in one run-time kernel pass
/// (<c>residual_dropout.cu</c>) beside its oracle, libtorch's dropout followed by the add: one pass reads x and y and
/// writes the sum, and the mask is never stored, since the backward recomputes it from the seed (dy = drop(g), dx = g).
/// Dropout bits come from a hash of a seed that libtorch draws on the device (no host synchronisation), as in
/// <see cref="FusedSmallAttention"/>; <see cref="KeepMask"/> reproduces them for the oracle. Once differentiable; the
/// composite attention path (Hessians) turns it off with the other kernels.
/// </summary>
public static class FusedResidualDropout
{
    private const string Stem = "residual_dropout";

    /// <summary>True when x and y (same shape and dtype, fp32 or bf16) can take this path on <paramref name="launcher"/>.</summary>
    public static bool Fits(Tensor x, Tensor y, IKernelLauncher launcher)
    {
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || y.dtype != x.dtype || !x.shape.SequenceEqual(y.shape)) return false;
        if (launcher.IsCuda != (x.device.type == DeviceType.CUDA) || y.device_type != x.device_type || y.device_index != x.device_index) return false;
        return launcher.Has(KernelName.Of(Stem, x.dtype));
    }

    /// <summary>
    /// x + dropout(y) with drop probability <paramref name="dropout"/> in [0, 1), differentiable once in x and y. seed: an
    /// int64 (1) on x's device; null draws one there from libtorch's generator when <paramref name="dropout"/> &gt; 0.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor y, double dropout, IKernelLauncher launcher, Tensor? seed = null)
    {
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "a probability in [0, 1)");
        seed ??= dropout > 0 ? randint(0, long.MaxValue, [1], dtype: int64, device: x.device) : null;
        var settings = new Settings(seed, dropout, launcher);
        return AutogradRecording.Needed(x, y) ? ResidualFunction.apply(x, y, settings) : Launch(launcher, x.contiguous(), y.contiguous(), settings);
    }

    /// <summary>The kernel's keep decisions for n elements with this seed (true: kept), computed on the host: the oracle's mask.</summary>
    public static Tensor KeepMask(long seed, long n, double dropout)
    {
        uint threshold = DropoutHash.Threshold(dropout);
        var keep = new bool[n];
        for (long i = 0; i < n; i++)
            keep[i] = threshold == 0 || DropoutHash.Keep(DropoutHash.BlockKey(seed, (ulong)i >> 16), (uint)(i & 0xffff), threshold);
        return tensor(keep);
    }

    /// <summary>What one call uses besides x and y: no gradient flows to these.</summary>
    internal sealed record Settings(Tensor? Seed, double Dropout, IKernelLauncher Launcher);

    /// <summary>x + drop(y), or drop(y) alone when x is null; x and y contiguous. Returns a new contiguous tensor.</summary>
    private static Tensor Launch(IKernelLauncher launcher, Tensor? x, Tensor y, Settings s)
    {
        var output = empty(y.shape, dtype: y.dtype, device: y.device);
        long n = y.numel();
        if (n == 0) return output;
        long lanes = 16 / y.element_size();
        long xp = x is null ? 0 : TensorPointer.Of(x), yp = TensorPointer.Of(y), op = TensorPointer.Of(output);
        bool aligned = xp % 16 == 0 && yp % 16 == 0 && op % 16 == 0;
        const uint threads = 256;
        long chunks = (n + lanes - 1) / lanes;
        launcher.Launch(KernelName.Of(Stem, y.dtype), new KernelGrid((uint)((chunks + threads - 1) / threads), 1, threads),
            [xp, yp, s.Seed is null ? 0 : TensorPointer.Of(s.Seed), op, n, BitConverter.DoubleToInt64Bits(s.Dropout), aligned ? 1 : 0]);
        return output;
    }

    private sealed record Saved(Settings Settings) : IDisposable
    {
        public void Dispose() => Settings.Seed?.Dispose();
    }

    internal sealed class ResidualFunction : SingleTensorFunction<ResidualFunction>
    {
        private static readonly GradientHandOff HandOff = new();

        public override string Name => nameof(FusedResidualDropout);

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var (x, y, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Settings)vars[2]);
            ctx.save_data(nameof(Saved), new Saved(settings with { Seed = settings.Seed?.alias().DetachFromDisposeScope() }));
            return Launch(settings.Launcher, x.contiguous(), y.contiguous(), settings);
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
        {
            HandOff.ReleasePrevious();
            using var saved = (Saved)ctx.get_data(nameof(Saved));
            Tensor dx, dy;
            using (var scope = NewDisposeScope()) // the autograd engine's thread has none of its own
            {
                var g = grad.contiguous();
                dy = Launch(saved.Settings.Launcher, null, g, saved.Settings).DetachFromDisposeScope();
                dx = g.alias().DetachFromDisposeScope();                                          // the residual path: g itself
            }
            grad.Dispose();
            return HandOff.Slots(dx, dy, null); // the settings take no gradient
        }
    }
}
