using System.Runtime.InteropServices;

namespace PeTools.Torch.Native;

/// <summary>
/// libtorch's switches for which kernels scaled_dot_product_attention may pick (what
/// <c>torch.backends.cuda.enable_mem_efficient_sdp</c> sets in PyTorch), which TorchSharp 0.107 does not expose, bound by
/// mangled name from <c>libtorch_cpu.so</c> (<c>at::globalContext()</c> and <c>at::Context</c>'s setters and getters).
/// With an additive bias, libtorch 2.11 on an H200 picks the memory-efficient kernel (CUTLASS, written for sm80: 10 of
/// eager ALiBi's 27 ms per step in PyTorch's profile); with that one switched off it may take cuDNN's sm90 flash
/// kernel, which reads the bias too. <see cref="WithoutMemoryEfficient"/> switches it off around one call, so the
/// choice is per call and the process setting is left as it was.
/// </summary>
public static unsafe class SdpBackends
{
    private static readonly Lazy<Bindings?> Lazy = new(Bind);

    /// <summary>Null when the symbols are absent (a libtorch that renamed them): then nothing is switched.</summary>
    public static bool Available => Lazy.Value is not null;

    /// <summary>The memory-efficient kernel off until disposed (then back to what it was); a no-op scope when unavailable.</summary>
    public static IDisposable WithoutMemoryEfficient()
    {
        if (Lazy.Value is not { } api) return NoScope.Instance;
        var context = api.GlobalContext();
        bool before = api.MemEfficientEnabled(context) != 0;
        api.SetMemEfficient(context, 0);
        return new Restore(api, context, before);
    }

    private sealed class Restore(Bindings api, IntPtr context, bool enabled) : IDisposable
    {
        public void Dispose() => api.SetMemEfficient(context, enabled ? (byte)1 : (byte)0);
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();
        public void Dispose() { }
    }

    private sealed class Bindings(IntPtr global, IntPtr getMemEfficient, IntPtr setMemEfficient)
    {
        public IntPtr GlobalContext() => ((delegate* unmanaged<IntPtr>)global)();
        public byte MemEfficientEnabled(IntPtr context) => ((delegate* unmanaged<IntPtr, byte>)getMemEfficient)(context);
        public void SetMemEfficient(IntPtr context, byte on) => ((delegate* unmanaged<IntPtr, byte, void>)setMemEfficient)(context, on);
    }

    private static Bindings? Bind()
    {
        if (LibTorchNative.Library("libtorch_cpu.so") is not { } lib) return null;
        string[] names =
        [
            "_ZN2at13globalContextEv",                       // at::globalContext()
            "_ZNK2at7Context26userEnabledMemEfficientSDPEv", // bool at::Context::userEnabledMemEfficientSDP() const
            "_ZN2at7Context21setSDPUseMemEfficientEb",       // void at::Context::setSDPUseMemEfficient(bool)
        ];
        var fns = new IntPtr[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!NativeLibrary.TryGetExport(lib, names[i], out fns[i])) return null;
        return new Bindings(fns[0], fns[1], fns[2]);
    }
}
