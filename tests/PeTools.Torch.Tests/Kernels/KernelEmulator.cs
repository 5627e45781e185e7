using System.Diagnostics;
using System.Runtime.InteropServices;
using PeTools.Torch.Kernels;

namespace PeTools.Torch.Testing;

/// <summary>
/// The run-time kernels on the CPU: every embedded <c>.cu</c> source of PeTools.Torch (the bytes NVRTC compiles on a
/// GPU) and its headers, compiled by g++ with <c>cuda_emulation.h</c> into a shared library once per test run, each
/// kernel exported as <c>emulate_NAME</c> (run with one thread per CUDA thread where the source exchanges values between
/// threads). Tensors passed to it live in host memory. Needs g++ (Debian's <c>g++</c>; .ci/run installs it).
/// </summary>
internal sealed unsafe class KernelEmulator : IKernelLauncher
{
    private static readonly Lazy<KernelEmulator> Shared = new(Build);
    private readonly IntPtr _library;

    private KernelEmulator(IntPtr library) => _library = library;

    public static KernelEmulator Instance => Shared.Value;

    public bool IsCuda => false;

    public bool Has(string kernel) => NativeLibrary.TryGetExport(_library, "emulate_" + kernel, out _);

    public void Launch(string kernel, KernelGrid grid, ReadOnlySpan<long> args)
    {
        var fn = (delegate* unmanaged<uint, uint, uint, long*, void>)NativeLibrary.GetExport(_library, "emulate_" + kernel);
        fixed (long* a = args) fn(grid.GridX, grid.GridY, grid.BlockX, a);
    }

    /// <summary>A source whose threads wait for or read from one another.</summary>
    private static bool Cooperative(string source) =>
        source.Contains("__syncthreads", StringComparison.Ordinal) || source.Contains("__shfl_", StringComparison.Ordinal);

    private static KernelEmulator Build()
    {
        const string compiler = "g++";
        var dir = Directory.CreateTempSubdirectory("pe-kernels-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Kernels", "cuda_emulation.h"), Path.Combine(dir, "cuda_emulation.h"));
        var unit = new List<string> { "#include \"cuda_emulation.h\"" };
        foreach (var (name, source) in CudaKernels.Headers()) File.WriteAllText(Path.Combine(dir, name), source);
        foreach (var (name, source) in CudaKernels.Sources())
        {
            File.WriteAllText(Path.Combine(dir, name), source);
            unit.Add($"#include \"{name}\"");
            // Threads that exchange values need real threads; the others run one after another (much faster).
            var export = Cooperative(source) ? "PE_EXPORT_THREADS" : "PE_EXPORT";
            unit.AddRange(CudaKernels.KernelNames(source).Select(k => $"{export}({k})"));
        }
        File.WriteAllLines(Path.Combine(dir, "emulate.cpp"), unit);
        var library = Path.Combine(dir, "libpe_kernels_emulated.so");
        ProcessStartInfo start = new(compiler, ["-std=c++20", "-O1", "-ffp-contract=off", "-pthread", "-shared", "-fPIC", "-Wall", "-Werror", "-o", library, "emulate.cpp"])
        {
            WorkingDirectory = dir,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process p;
        try { p = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{compiler} is missing: the kernel emulation tests need it (apt-get install -y g++; .ci/run does)");
        }
        var errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{compiler} failed on the kernel sources in {dir}:\n{errors}");
        return new KernelEmulator(NativeLibrary.Load(library));
    }
}
