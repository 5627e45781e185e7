using System.Runtime.InteropServices;

namespace PeTools.Torch.Kernels;

/// <summary>
/// The few CUDA driver calls that run-time kernels need (libcuda.so.1, which any CUDA libtorch has already loaded):
/// the current context, module loading and kernel launch. Kernels go to libtorch's current stream on the launching
/// thread (<see cref="Native.CudaStreams.CurrentHandle"/>: the legacy default stream unless a CUDA graph is being
/// captured on a side stream), so they are ordered with libtorch's own work and its caching allocator never hands out
/// memory a kernel still uses. Every failure is a <see cref="CudaException"/> naming the call.
/// </summary>
internal static partial class CudaDriver
{
    private const string Lib = "libcuda.so.1";
    public const int ComputeCapabilityMajor = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    public const int ComputeCapabilityMinor = 76;

    [LibraryImport(Lib)] private static partial int cuInit(uint flags);
    [LibraryImport(Lib)] private static partial int cuCtxGetCurrent(out IntPtr context);
    [LibraryImport(Lib)] private static partial int cuCtxSetCurrent(IntPtr context);
    [LibraryImport(Lib)] private static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")] private static partial int cuDevicePrimaryCtxRetain(out IntPtr context, int device);
    [LibraryImport(Lib)] private static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib)] private static partial int cuModuleLoadData(out IntPtr module, IntPtr image);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] private static partial int cuModuleGetFunction(out IntPtr function, IntPtr module, string name);
    [LibraryImport(Lib)] private static partial int cuGetErrorString(int error, out IntPtr text);

    [LibraryImport(Lib)]
    private static unsafe partial int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);

    /// <summary>Makes the primary context of device <paramref name="ordinal"/> current on this thread (libtorch's own
    /// threads already have it; the autograd engine's usually too) and returns it.</summary>
    public static IntPtr UseDevice(int ordinal)
    {
        Check(cuInit(0), "cuInit");
        Check(cuDeviceGet(out var device, ordinal), "cuDeviceGet");
        Check(cuDevicePrimaryCtxRetain(out var primary, device), "cuDevicePrimaryCtxRetain");
        Check(cuCtxGetCurrent(out var current), "cuCtxGetCurrent");
        if (current != primary) Check(cuCtxSetCurrent(primary), "cuCtxSetCurrent");
        return primary;
    }

    /// <summary>Makes <paramref name="context"/> current on this thread when another (or none) is.</summary>
    public static void EnsureCurrent(IntPtr context, int ordinal)
    {
        Check(cuCtxGetCurrent(out var current), "cuCtxGetCurrent");
        if (current != context) UseDevice(ordinal);
    }

    public static (int Major, int Minor) ComputeCapability(int ordinal)
    {
        Check(cuDeviceGet(out var device, ordinal), "cuDeviceGet");
        Check(cuDeviceGetAttribute(out var major, ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        Check(cuDeviceGetAttribute(out var minor, ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        return (major, minor);
    }

    /// <summary>Loads a cubin or PTX image into the current context.</summary>
    public static IntPtr LoadModule(byte[] image)
    {
        var pinned = GCHandle.Alloc(image, GCHandleType.Pinned);
        try
        {
            Check(cuModuleLoadData(out var module, pinned.AddrOfPinnedObject()), "cuModuleLoadData");
            return module;
        }
        finally { pinned.Free(); }
    }

    public static IntPtr Function(IntPtr module, string name)
    {
        Check(cuModuleGetFunction(out var function, module, name), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Launches on libtorch's current stream; every argument is one 64-bit slot (a pointer or a long long).</summary>
    public static unsafe void Launch(IntPtr function, KernelGrid grid, ReadOnlySpan<long> args, string name)
    {
        long* slots = stackalloc long[args.Length];
        void** pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            slots[i] = args[i];
            pointers[i] = slots + i;
        }
        Check(cuLaunchKernel(function, grid.GridX, grid.GridY, 1, grid.BlockX, 1, 1, 0, Native.CudaStreams.CurrentHandle(), pointers, null), $"cuLaunchKernel({name})");
    }

    private static void Check(int result, string call)
    {
        if (result == 0) return;
        string text = cuGetErrorString(result, out var p) == 0 && p != IntPtr.Zero ? Marshal.PtrToStringUTF8(p) ?? "" : "";
        throw new CudaException($"{call} failed: CUDA error {result} {text}".TrimEnd());
    }
}

/// <summary>A CUDA driver or NVRTC call that failed; the message names the call and the error.</summary>
public sealed class CudaException(string message) : Exception(message);
