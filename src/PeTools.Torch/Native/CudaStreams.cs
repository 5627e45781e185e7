using System.Runtime.InteropServices;

namespace PeTools.Torch.Native;

/// <summary>
/// A <c>c10::cuda::CUDAStream</c> by value: two 64-bit words (device type and index in the first, the stream id in the
/// second). The System V ABI passes and returns such a trivially copyable 16-byte object in two integer registers,
/// which is how libtorch's stream functions are called here. Opaque: only libtorch reads the words.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct CudaStreamValue
{
    public readonly ulong Low;
    public readonly ulong High;
}

/// <summary>
/// libtorch's per-thread current CUDA stream, which TorchSharp 0.107 does not expose, bound by mangled name from
/// <c>libc10_cuda.so</c> (names checked on the GPU machine by <c>bench/train/graph-abi-probe.py</c>). Needed for CUDA
/// graph capture, which must run on a stream other than the default, and by run-time kernels, which must launch on
/// whatever stream libtorch is issuing to (a launch on the legacy default stream during a capture on another stream is
/// an error). <see cref="Api"/> is null where the symbols are absent: a CPU libtorch, or a release that renamed them.
/// </summary>
public static unsafe class CudaStreams
{
    /// <summary>The bound entry points; null when libc10_cuda.so or one of its symbols is missing.</summary>
    public static Bindings? Api => Lazy.Value;

    private static readonly Lazy<Bindings?> Lazy = new(Bind);

    /// <summary>The stream handle (<c>cudaStream_t</c>) kernels should launch on now: libtorch's current stream of
    /// the current device, or 0 (the legacy default stream) when the bindings are absent.</summary>
    public static IntPtr CurrentHandle() => Api is { } api ? api.HandleOf(api.Current()) : IntPtr.Zero;

    /// <summary>Sets a stream from libtorch's pool as the current one on this thread until disposed, then restores
    /// the previous stream. Work issued meanwhile (libtorch's and the run-time kernels') goes to that stream.</summary>
    public static SideStream UseSideStream()
    {
        var api = Api ?? throw new InvalidOperationException("libtorch's CUDA stream functions are not available");
        return new SideStream(api);
    }

    public sealed class Bindings
    {
        private readonly delegate* unmanaged<byte, sbyte, CudaStreamValue> _fromPool;
        private readonly delegate* unmanaged<sbyte, CudaStreamValue> _current;
        private readonly delegate* unmanaged<CudaStreamValue, void> _setCurrent;
        private readonly delegate* unmanaged<CudaStreamValue*, IntPtr> _handle;

        internal Bindings(IntPtr fromPool, IntPtr current, IntPtr setCurrent, IntPtr handle)
        {
            _fromPool = (delegate* unmanaged<byte, sbyte, CudaStreamValue>)fromPool;
            _current = (delegate* unmanaged<sbyte, CudaStreamValue>)current;
            _setCurrent = (delegate* unmanaged<CudaStreamValue, void>)setCurrent;
            _handle = (delegate* unmanaged<CudaStreamValue*, IntPtr>)handle;
        }

        /// <summary>A low-priority stream from libtorch's pool on the current device (c10 hands them out round-robin).</summary>
        public CudaStreamValue FromPool() => _fromPool(0, -1);

        /// <summary>This thread's current stream on the current device.</summary>
        public CudaStreamValue Current() => _current(-1);

        public void SetCurrent(CudaStreamValue stream) => _setCurrent(stream);

        /// <summary>The <c>cudaStream_t</c> of <paramref name="stream"/> (null for the legacy default stream).</summary>
        public IntPtr HandleOf(CudaStreamValue stream) => _handle(&stream);
    }

    /// <summary>A pool stream made current on this thread; disposing restores the stream that was current before.</summary>
    public sealed class SideStream : IDisposable
    {
        private readonly Bindings _api;
        private readonly CudaStreamValue _previous;
        private bool _disposed;

        internal SideStream(Bindings api)
        {
            _api = api;
            _previous = api.Current();
            Stream = api.FromPool();
            api.SetCurrent(Stream);
        }

        public CudaStreamValue Stream { get; }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _api.SetCurrent(_previous);
        }
    }

    private static Bindings? Bind()
    {
        if (LibTorchNative.Library("libc10_cuda.so") is not { } c10) return null;
        string[] names =
        [
            "_ZN3c104cuda17getStreamFromPoolEba",                     // getStreamFromPool(bool isHighPriority, DeviceIndex)
            "_ZN3c104cuda20getCurrentCUDAStreamEa",                   // getCurrentCUDAStream(DeviceIndex)
            "_ZN3c104cuda20setCurrentCUDAStreamENS0_10CUDAStreamE",   // setCurrentCUDAStream(CUDAStream)
            "_ZNK3c104cuda10CUDAStream6streamEv",                     // CUDAStream::stream() const
        ];
        var fns = new IntPtr[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!NativeLibrary.TryGetExport(c10, names[i], out fns[i])) return null;
        return new Bindings(fns[0], fns[1], fns[2], fns[3]);
    }
}

/// <summary>Opens a library of the libtorch this process is bound to (<see cref="LibTorchLocator.Active"/>), by path.</summary>
internal static class LibTorchNative
{
    public static IntPtr? Library(string file)
    {
        if (LibTorchLocator.Active is not { } active) return null;
        var path = Path.Combine(active.Directory, file);
        return File.Exists(path) && NativeLibrary.TryLoad(path, out var handle) ? handle : null;
    }
}
