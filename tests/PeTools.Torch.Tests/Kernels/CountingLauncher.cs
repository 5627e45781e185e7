using PeTools.Torch.Kernels;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>A launcher that counts the launches it passes on, per kernel name, so a test can tell that a model took
/// the kernel path at all (two paths that agree prove nothing if both were the oracle).</summary>
internal sealed class CountingLauncher(IKernelLauncher inner) : IKernelLauncher
{
    private readonly Dictionary<string, int> _launches = new(StringComparer.Ordinal);

    public bool IsCuda => inner.IsCuda;

    public bool Has(string kernel) => inner.Has(kernel);

    public void Launch(string kernel, KernelGrid grid, ReadOnlySpan<long> args)
    {
        lock (_launches) _launches[kernel] = _launches.GetValueOrDefault(kernel) + 1;
        inner.Launch(kernel, grid, args);
    }

    /// <summary>Launches so far of kernels whose name starts with <paramref name="stem"/>.</summary>
    public int LaunchesOf(string stem)
    {
        lock (_launches) return _launches.Where(p => p.Key.StartsWith(stem, StringComparison.Ordinal)).Sum(p => p.Value);
    }
}
