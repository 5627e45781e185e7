using System.Runtime.InteropServices;
using PeTools.Torch.Native;
using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// The address of a tensor's first element (libtorch's <c>data_ptr()</c>, storage offset included), read through
/// LibTorchSharp's own export from the copy TorchSharp is bound to. TorchSharp 0.107 exposes it for CPU storages only.
/// </summary>
internal static unsafe class TensorPointer
{
    private static readonly delegate* unmanaged<IntPtr, IntPtr> Data =
        (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(NativeLibrary.Load(LibTorchLocator.LibTorchSharpPath()), "THSTensor_data");

    public static long Of(Tensor t) => (long)Data(t.Handle);
}
