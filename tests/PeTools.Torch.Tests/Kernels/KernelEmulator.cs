using System.Diagnostics;
using System.Runtime.InteropServices;
using PeTools.Torch.Kernels;

namespace PeTools.Torch.Testing;

/// <summary>
/// The run-time kernels on the CPU: every embedded <c>.cu</c> source of PeTools.Torch (the bytes NVRTC compiles on a
/// GPU), compiled by g++ with <c>cuda_emulation.h</c> into a shared library once per test run, each kernel exported as
/// <c>emulate_NAME</c>. Tensors passed to it live in host memory. Needs g++ (Debian's <c>g++</c>; .ci/run installs it).
/// </summary>
internal sealed unsafe class KernelEmulator : IKernelLauncher
{
    private static readonly Lazy<KernelEmulator> Shared = new(Build);
    private readonly IntPtr _library;

    private KernelEmulator(IntPtr library) => _library = library;

    public static KernelEmulator Instance => Shared.Value;

    public bool IsCuda => false;

    public void Launch(string kernel, KernelGrid grid, ReadOnlySpan<long> args)
    {
        var fn = (delegate* unmanaged<uint, uint, uint, long*, void>)NativeLibrary.GetExport(_library, "emulate_" + kernel);
        fixed (long* a = args) fn(grid.GridX, grid.GridY, grid.BlockX, a);
    }

    private static KernelEmulator Build()
    {
        const string compiler = "g++";
        var dir = Directory.CreateTempSubdirectory("pe-kernels-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Kernels", "cuda_emulation.h"), Path.Combine(dir, "cuda_emulation.h"));
        var unit = new List<string> { "#include \"cuda_emulation.h\"" };
        foreach (var (name, source) in CudaKernels.Sources())
        {
            File.WriteAllText(Path.Combine(dir, name), source);
            unit.Add($"#include \"{name}\"");
            unit.AddRange(CudaKernels.KernelNames(source).Select(k => $"PE_EXPORT({k})"));
        }
        File.WriteAllLines(Path.Combine(dir, "emulate.cpp"), unit);
        var library = Path.Combine(dir, "libpe_kernels_emulated.so");
        ProcessStartInfo start = new(compiler, ["-std=c++17", "-O1", "-ffp-contract=off", "-shared", "-fPIC", "-Wall", "-Werror", "-o", library, "emulate.cpp"])
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
