using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>The naming rule of every kernel source: one kernel per storage type, STEM_f32 and STEM_bf16.</summary>
public static class KernelName
{
    public static string Of(string stem, ScalarType dtype) => stem + (dtype == ScalarType.BFloat16 ? "_bf16" : "_f32");
}

/// <summary>How a kernel check measures a difference from its oracle.</summary>
internal static class OracleDifference
{
    /// <summary>max |a − oracle| / max |oracle| (1e-30 floor), in float64.</summary>
    public static double Relative(Tensor a, Tensor oracle) =>
        (a - oracle).abs().max().to(ScalarType.Float64).item<double>() /
        Math.Max(oracle.abs().max().to(ScalarType.Float64).item<double>(), 1e-30);

    /// <summary>
    /// A function of several inputs, in the kernel and in its oracle, each on fresh leaf copies of
    /// <paramref name="inputs"/> on <paramref name="device"/>, back-propagating Σ output·<paramref name="upstream"/>: the
    /// largest <see cref="Relative"/> difference of the output and of each input's gradient (fp32). +∞ when the kernel
    /// declines the inputs (returns null: they do not fit).
    /// </summary>
    public static double OfOutputAndGradients(Tensor[] inputs, Device device, Tensor upstream, Func<Tensor[], Tensor?> kernel,
                                              Func<Tensor[], Tensor> oracle)
    {
        Tensor[]? Run(Func<Tensor[], Tensor?> f)
        {
            var leaves = inputs.Select(t => t.to(device).clone().requires_grad_()).ToArray();
            if (f(leaves) is not { } y) return null;
            (y.to(ScalarType.Float32) * upstream).sum().backward();
            return [.. leaves.Select(l => l.grad!).Prepend(y.detach()).Select(t => t.to(ScalarType.Float32).clone())];
        }
        var expected = Run(oracle)!;
        if (Run(kernel) is not { } actual) return double.PositiveInfinity;
        return actual.Zip(expected).Max(p => Relative(p.First, p.Second));
    }
}

/// <summary>Launch geometry: a 1-D or 2-D grid of 1-D blocks.</summary>
public readonly record struct KernelGrid(uint GridX, uint GridY, uint BlockX);

/// <summary>
/// Where a run-time kernel runs: on a GPU through the CUDA driver (<see cref="CudaKernels"/>), or on the CPU under the
/// emulation the tests compile with g++ from the same source (so a kernel's indexing and rounding are pinned without a
/// GPU). Every argument is one 64-bit slot, in the kernel's parameter order: a device pointer, a long long, or a double
/// (its bit pattern: <see cref="BitConverter.DoubleToInt64Bits"/>).
/// </summary>
public interface IKernelLauncher
{
    /// <summary>True when tensors must live on this launcher's device (CUDA) rather than in host memory (emulation).</summary>
    bool IsCuda { get; }

    /// <summary>True when <paramref name="kernel"/> can be launched here (a source that failed to compile has none).</summary>
    bool Has(string kernel);

    void Launch(string kernel, KernelGrid grid, ReadOnlySpan<long> args);
}
