using System.Runtime.InteropServices;

namespace PeTools.Torch.Native;

/// <summary>
/// Two CUDA facts that TorchSharp 0.107 does not expose, read through libraries the process has already loaded:
/// how much device memory is in use (the driver's <c>cuMemGetInfo</c>), and whether code synchronises the host with
/// the device (libtorch's own sync-debug mode, what <c>torch.cuda.set_sync_debug_mode("error")</c> sets). Both answer
/// null where they cannot (no driver, a libtorch without the symbol), never a guess.
/// </summary>
public static class CudaDiagnostics
{
    // c10::cuda::warning_state(): an exported inline function returning the process's one WarningState, whose only
    // member is the SyncDebugMode (an int: 0 disabled, 1 warn, 2 error) that libtorch checks before every stream or
    // device synchronisation, every blocking copy (item(), .cpu(), pageable host-to-device) and data-dependent shapes.
    private const string WarningStateSymbol = "_ZN3c104cuda13warning_stateEv";
    // Where the function is inlined away (PyTorch 2.11's libc10_cuda.so), its function-local static object is still
    // exported as a data symbol (a GNU unique symbol, one copy per process): its address is the WarningState itself.
    private const string WarningStateObjectSymbol = "_ZZN3c104cuda13warning_stateEvE14warning_state_";
    private const int SyncDebugError = 2;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr WarningStateFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MemGetInfoFn(out nuint free, out nuint total);

    /// <summary>Device memory in use on the current device (total − free, all processes), MiB; null when unknown.</summary>
    public static double? DeviceMemoryUsedMiB()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var driver)) return null;
        if (!NativeLibrary.TryGetExport(driver, "cuMemGetInfo_v2", out var fn)) return null;
        var memGetInfo = Marshal.GetDelegateForFunctionPointer<MemGetInfoFn>(fn);
        return memGetInfo(out var free, out var total) == 0 ? (total - free) / 1048576.0 : null;
    }

    /// <summary>
    /// Makes every host-device synchronisation in libtorch throw until disposed (then the previous mode returns);
    /// null when the bound libtorch has no CUDA part or no such switch. Callers should check that it works (a
    /// deliberate <c>item()</c> must throw) before trusting a silence.
    /// </summary>
    public static IDisposable? ErrorOnSync()
    {
        if (LibTorchNative.Library("libc10_cuda.so") is not { } c10Cuda) return null;
        IntPtr state;
        if (NativeLibrary.TryGetExport(c10Cuda, WarningStateSymbol, out var fn))
            state = Marshal.GetDelegateForFunctionPointer<WarningStateFn>(fn)();
        else if (!NativeLibrary.TryGetExport(c10Cuda, WarningStateObjectSymbol, out state))
            return null;
        if (state == IntPtr.Zero) return null;
        int before = Marshal.ReadInt32(state);
        Marshal.WriteInt32(state, SyncDebugError);
        return new Restore(state, before);
    }

    private sealed class Restore(IntPtr state, int mode) : IDisposable
    {
        public void Dispose() => Marshal.WriteInt32(state, mode);
    }
}
