using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// The gradients a custom autograd function's backward hands to libtorch. libtorch copies each (a reference count)
/// once backward returns, so the managed wrapper can be released at the function's next backward instead of being
/// left to the finaliser, which would hold device memory for as long as the garbage collector waits. One per function.
/// </summary>
internal sealed class GradientHandOff
{
    private readonly ConcurrentQueue<Tensor> _handed = new();

    /// <summary>Releases what the previous backward handed over (libtorch holds its own references by now).</summary>
    public void ReleasePrevious()
    {
        while (_handed.TryDequeue(out var old)) old.Dispose();
    }

    /// <summary>Backward's return list, one slot per forward argument: each gradient handed over (<see cref="Hand"/>),
    /// null where an argument takes none (settings, an absent input, a parameter whose gradient went into its .grad).</summary>
    public List<Tensor> Slots(params Tensor?[] gradients) => [.. gradients.Select(g => g is null ? null! : Hand(g))];

    /// <summary>Keeps <paramref name="gradient"/> (detached from any dispose scope) until the next <see cref="ReleasePrevious"/>.</summary>
    public Tensor Hand(Tensor gradient)
    {
        _handed.Enqueue(gradient);
        return gradient;
    }
}
