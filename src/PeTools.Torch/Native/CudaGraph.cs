using System.Runtime.InteropServices;

namespace PeTools.Torch.Native;

/// <summary>
/// libtorch's <c>at::cuda::CUDAGraph</c> (what <c>torch.cuda.CUDAGraph</c> wraps in PyTorch), which TorchSharp 0.107
/// does not expose, bound by mangled name from <c>libtorch_cuda.so</c>. Capture records every kernel libtorch and the
/// run-time kernels issue on the capturing thread's side stream, the autograd engine's backward included, into one
/// graph; <see cref="Replay"/> then launches all of it with one call, so a step costs the host a few microseconds
/// instead of one TorchSharp call and one libtorch dispatch per kernel. libtorch takes care of what makes replay
/// correct: allocations during capture come from a memory pool private to the graph (or shared with
/// <see cref="Pool"/> of another), and the default CUDA generator's philox offset advances at each replay, so dropout
/// draws new bits each time and follows <c>manual_seed</c>.
/// <para>C++ exceptions cannot cross into .NET, so nothing here calls a libtorch method that can throw on a path it
/// can foresee: capture must begin on a non-default stream (<see cref="CudaStreams.UseSideStream"/>), and a capture
/// whose body failed is ended through the driver and the object is abandoned rather than handed to
/// <c>capture_end</c>.</para>
/// </summary>
public sealed unsafe partial class CudaGraph : IDisposable
{
    // The object's storage: generously more than sizeof(at::cuda::CUDAGraph) in any release (a few hundred bytes), zeroed.
    private const int ObjectBytes = 1 << 14;
    private const int CaptureModeThreadLocal = 1; // cudaStreamCaptureModeThreadLocal: unsafe calls checked on this thread only

    private IntPtr _self;
    private State _state = State.Empty;

    private enum State { Empty, Capturing, Ready, Abandoned }

    private CudaGraph(Bindings api)
    {
        _api = api;
        _self = (IntPtr)NativeMemory.AllocZeroed(ObjectBytes);
        api.Construct(_self);
    }

    private readonly Bindings _api;

    /// <summary>The bound entry points; null when libtorch_cuda.so or one of its symbols is missing.</summary>
    public static Bindings? Api => Lazy.Value;

    private static readonly Lazy<Bindings?> Lazy = new(Bind);

    /// <summary>Why graphs cannot be used in this process, or null when they can.</summary>
    public static string? Unavailable =>
        CudaStreams.Api is null ? "libtorch's CUDA stream functions were not found (libc10_cuda.so)"
        : Api is null ? "libtorch's CUDAGraph was not found (libtorch_cuda.so)"
        : null;

    public static CudaGraph Create() =>
        new(Api ?? throw new InvalidOperationException(Unavailable ?? "CUDA graphs are unavailable"));

    /// <summary>The memory pool the capture allocated from, to share with a later capture.</summary>
    public CudaStreamValue Pool => _state == State.Ready ? _api.Pool(_self) : throw new InvalidOperationException("no captured graph");

    /// <summary>
    /// Records what <paramref name="body"/> issues on the current stream, which must be a side stream. Nothing runs:
    /// replay to compute. With <paramref name="sharePoolOf"/>, allocations come from that graph's pool (safe when the
    /// graphs never run concurrently and each one's outputs are read before another replays).
    /// When <paramref name="body"/> throws, the capture is ended and discarded, this object can no longer be used, and
    /// the exception propagates.
    /// </summary>
    public T Capture<T>(Func<T> body, CudaGraph? sharePoolOf = null)
    {
        if (_state != State.Empty) throw new InvalidOperationException("a CudaGraph captures once");
        var streams = CudaStreams.Api ?? throw new InvalidOperationException(Unavailable);
        var stream = streams.HandleOf(streams.Current());
        if (stream == IntPtr.Zero) throw new InvalidOperationException("capture needs a side stream (CudaStreams.UseSideStream)");
        var pool = sharePoolOf?.Pool ?? default;
        _api.BeginCapture(_self, pool, CaptureModeThreadLocal);
        _state = State.Capturing;
        T result;
        try
        {
            result = body();
        }
        catch
        {
            Abandon(stream);
            throw;
        }
        _api.EndCapture(_self);
        _state = State.Ready;
        return result;
    }

    /// <summary>Launches the captured work on the current stream.</summary>
    public void Replay()
    {
        if (_state != State.Ready) throw new InvalidOperationException("no captured graph to replay");
        _api.Replay(_self);
    }

    /// <summary>Ends a failed capture through the driver, so the stream is usable again, and leaks the libtorch object,
    /// whose destructor and capture_end would throw (its allocator filter still points at it, so it must stay valid).</summary>
    private void Abandon(IntPtr stream)
    {
        _state = State.Abandoned;
        if (Driver.EndCapture(stream, out var graph) == 0 && graph != IntPtr.Zero) Driver.DestroyGraph(graph);
        _self = IntPtr.Zero;
    }

    public void Dispose()
    {
        if (_self == IntPtr.Zero || _state == State.Capturing) return;
        _api.Destroy(_self);
        NativeMemory.Free((void*)_self);
        _self = IntPtr.Zero;
    }

    public sealed class Bindings
    {
        private readonly delegate* unmanaged<IntPtr, byte, void> _constructKeep;
        private readonly delegate* unmanaged<IntPtr, void> _construct;
        private readonly delegate* unmanaged<IntPtr, CudaStreamValue, int, void> _begin;
        private readonly delegate* unmanaged<IntPtr, void> _end;
        private readonly delegate* unmanaged<IntPtr, void> _replay;
        private readonly delegate* unmanaged<IntPtr, CudaStreamValue> _pool;
        private readonly delegate* unmanaged<IntPtr, void> _destroy;

        internal Bindings(IntPtr ctor, bool ctorTakesKeepGraph, IntPtr begin, IntPtr end, IntPtr replay, IntPtr pool, IntPtr destroy)
        {
            if (ctorTakesKeepGraph) _constructKeep = (delegate* unmanaged<IntPtr, byte, void>)ctor;
            else _construct = (delegate* unmanaged<IntPtr, void>)ctor;
            _begin = (delegate* unmanaged<IntPtr, CudaStreamValue, int, void>)begin;
            _end = (delegate* unmanaged<IntPtr, void>)end;
            _replay = (delegate* unmanaged<IntPtr, void>)replay;
            _pool = (delegate* unmanaged<IntPtr, CudaStreamValue>)pool;
            _destroy = (delegate* unmanaged<IntPtr, void>)destroy;
        }

        internal void Construct(IntPtr self)
        {
            if (_constructKeep != null) _constructKeep(self, 0); // keep_graph = false: capture_end instantiates
            else _construct(self);
        }

        // MempoolId_t is std::pair<unsigned long long, unsigned long long>: two words, as a CUDAStream.
        internal void BeginCapture(IntPtr self, CudaStreamValue pool, int mode) => _begin(self, pool, mode);
        internal void EndCapture(IntPtr self) => _end(self);
        internal void Replay(IntPtr self) => _replay(self);
        internal CudaStreamValue Pool(IntPtr self) => _pool(self);
        internal void Destroy(IntPtr self) => _destroy(self);
    }

    private static Bindings? Bind()
    {
        if (LibTorchNative.Library("libtorch_cuda.so") is not { } lib) return null;
        bool keep = NativeLibrary.TryGetExport(lib, "_ZN2at4cuda9CUDAGraphC1Eb", out var ctor); // CUDAGraph(bool keep_graph), 2.8+
        if (!keep && !NativeLibrary.TryGetExport(lib, "_ZN2at4cuda9CUDAGraphC1Ev", out ctor)) return null;
        string[] names =
        [
            "_ZN2at4cuda9CUDAGraph13capture_beginESt4pairIyyE21cudaStreamCaptureMode",
            "_ZN2at4cuda9CUDAGraph11capture_endEv",
            "_ZN2at4cuda9CUDAGraph6replayEv",
            "_ZN2at4cuda9CUDAGraph4poolEv",
            "_ZN2at4cuda9CUDAGraphD1Ev",
        ];
        var fns = new IntPtr[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!NativeLibrary.TryGetExport(lib, names[i], out fns[i])) return null;
        return new Bindings(ctor, keep, fns[0], fns[1], fns[2], fns[3], fns[4]);
    }

    /// <summary>The two driver calls that end and drop a failed capture (libcuda.so.1, loaded by any CUDA libtorch).</summary>
    private static partial class Driver
    {
        [LibraryImport("libcuda.so.1", EntryPoint = "cuStreamEndCapture")] public static partial int EndCapture(IntPtr stream, out IntPtr graph);
        [LibraryImport("libcuda.so.1", EntryPoint = "cuGraphDestroy")] public static partial int DestroyGraph(IntPtr graph);
    }
}
