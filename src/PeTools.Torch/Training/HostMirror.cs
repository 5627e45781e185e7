using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// Host copies of a named set of tensors, refilled in place: allocated once (pinned when the source is on a GPU), then
/// each <see cref="Fill"/> queues every copy without waiting and synchronises the device once. Taking a checkpoint's
/// ~100 tensors to the host one blocking copy into fresh pageable memory at a time cost about 0.05 s an epoch on an
/// H200 host (examples/results/gpu/grid-overheads-h200). A filled copy stays valid until the next Fill.
/// </summary>
public sealed class HostMirror : IDisposable
{
    private readonly Dictionary<string, Tensor> _copies = new(StringComparer.Ordinal);

    /// <summary>The host copies of <paramref name="tensors"/>, by name, holding their values now.</summary>
    public IReadOnlyDictionary<string, Tensor> Fill(IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope(); // the detached views; the copies leave it
        Device? gpu = null;
        foreach (var (name, source) in tensors)
        {
            var copy = CopyFor(name, source);
            bool onGpu = source.device.type == DeviceType.CUDA;
            copy.copy_(source.detach(), onGpu); // non-blocking from a GPU into pinned memory
            if (onGpu) gpu = source.device;
        }
        foreach (var stale in _copies.Keys.Except(tensors.Keys).ToList())
        {
            _copies[stale].Dispose();
            _copies.Remove(stale);
        }
        if (gpu is not null) cuda.synchronize(gpu);
        return _copies;
    }

    private Tensor CopyFor(string name, Tensor source)
    {
        if (_copies.TryGetValue(name, out var copy) && copy.dtype == source.dtype && copy.shape.SequenceEqual(source.shape))
            return copy;
        copy?.Dispose();
        var fresh = empty(source.shape, dtype: source.dtype, device: CPU);
        if (source.device.type == DeviceType.CUDA)
        {
            var pinned = fresh.pin_memory();
            fresh.Dispose();
            fresh = pinned;
        }
        _copies[name] = fresh.DetachFromDisposeScope();
        return fresh;
    }

    public void Dispose()
    {
        foreach (var t in _copies.Values) t.Dispose();
        _copies.Clear();
    }
}
