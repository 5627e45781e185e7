using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Native;

/// <summary>
/// libtorch's <c>_addmm_activation</c> (relu(bias + mat1·mat2), what PyTorch's fused Linear+ReLU uses), which TorchSharp
/// 0.107 does not expose, bound by mangled name from <c>libtorch_cpu.so</c>: its out= form,
/// <c>at::_ops::_addmm_activation_out::call</c>, so that the output is a tensor TorchSharp allocated and nothing crosses
/// the boundary by value. On CUDA, with a 1-D bias and beta 1, libtorch runs it as one cuBLASLt GEMM whose epilogue adds
/// the bias and applies the ReLU; the FFN's separate ReLU kernel (read and write 64 MB a layer at the paper's batch:
/// 0.20 ms of a 10.3 ms bf16 NoPE step on an H200, examples/results/gpu/attention-bits-h200/2-lane-words-3fa8236) goes.
/// C++ exceptions cannot cross into .NET, so <see cref="ReluInto"/> checks every argument libtorch would refuse first.
/// </summary>
public static unsafe class AddmmActivation
{
    private static readonly Lazy<IntPtr> Entry = new(Bind);

    /// <summary>False when the symbol is absent (a libtorch that renamed it): callers take addmm and relu_.</summary>
    public static bool Available => Entry.Value != IntPtr.Zero && OneHandle.Value != IntPtr.Zero;

    /// <summary>output (n, m) = relu(bias (m) + mat1 (n, k) · mat2 (k, m)), all of one dtype and device, output
    /// contiguous; <see cref="Available"/> must be true.</summary>
    public static void ReluInto(Tensor output, Tensor bias, Tensor mat1, Tensor mat2)
    {
        if (!Available) throw new InvalidOperationException("libtorch's _addmm_activation was not found (libtorch_cpu.so)");
        if (mat1.dim() != 2 || mat2.dim() != 2 || bias.dim() != 1 || output.dim() != 2 || mat1.shape[1] != mat2.shape[0]
            || bias.shape[0] != mat2.shape[1] || output.shape[0] != mat1.shape[0] || output.shape[1] != mat2.shape[1])
            throw new ArgumentException("shapes: output (n, m), bias (m), mat1 (n, k), mat2 (k, m)");
        var all = new[] { bias, mat1, mat2 };
        if (all.Any(t => t.dtype != output.dtype || t.device_type != output.device_type || t.device_index != output.device_index))
            throw new ArgumentException("bias, mat1, mat2 and output: one dtype and one device");
        if (!output.is_contiguous()) throw new ArgumentException("output must be contiguous", nameof(output));
        var call = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, IntPtr, byte, IntPtr, IntPtr>)Entry.Value;
        call(bias.Handle, mat1.Handle, mat2.Handle, OneHandle.Value, OneHandle.Value, 0, output.Handle);
    }

    // beta = alpha = 1 as a c10::Scalar*, made once and kept for the process: TorchSharp keeps a Scalar's handle
    // internal, so it is read by reflection (zero when that property is gone: then the binding counts as absent).
    private static readonly Scalar One = 1.ToScalar();

    private static readonly Lazy<IntPtr> OneHandle = new(() =>
        typeof(Scalar).GetProperty("Handle", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic |
                                             System.Reflection.BindingFlags.Public)?.GetValue(One) is IntPtr handle ? handle : IntPtr.Zero);

    private static IntPtr Bind()
    {
        if (LibTorchNative.Library("libtorch_cpu.so") is not { } lib) return IntPtr.Zero;
        // at::Tensor& at::_ops::_addmm_activation_out::call(const Tensor& self, const Tensor& mat1, const Tensor& mat2,
        //     const Scalar& beta, const Scalar& alpha, bool use_gelu, Tensor& out)
        return NativeLibrary.TryGetExport(lib, "_ZN2at4_ops21_addmm_activation_out4callERKNS_6TensorES4_S4_RKN3c106ScalarES8_bRS2_",
            out var entry) ? entry : IntPtr.Zero;
    }
}
