namespace PeTools.Torch.Kernels;

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
