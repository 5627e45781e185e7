using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Native;

/// <summary>Where the libtorch that this process uses came from.</summary>
public sealed record LibTorchChoice(string? Directory, string Source)
{
    public static readonly LibTorchChoice Bundled = new(null, "bundled libtorch-cpu package");
}

/// <summary>
/// Finds libtorch: <c>--libtorch DIR</c>, else <c>PE_LIBTORCH</c>, else (when CUDA is asked for, or no CPU libtorch
/// is bundled) the <c>torch/lib</c> of a PyTorch install found through python3, else the bundled CPU package.
/// A foreign libtorch is bound through TorchSharp's DllImport resolver: TorchSharp loads "torch_cpu"/"torch_cuda" by
/// name, which would otherwise pick the bundled CPU copies and put two libtorch builds in one process.
/// </summary>
public static class LibTorchLocator
{
    public const string EnvironmentVariable = "PE_LIBTORCH";
    private static LibTorchChoice? _active;

    public static LibTorchChoice Resolve(string? explicitDir, bool wantCuda)
    {
        if (!string.IsNullOrEmpty(explicitDir)) return Checked(explicitDir, "--libtorch");
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) return Checked(env, EnvironmentVariable);
        if ((wantCuda || !HasBundled()) && FindPyTorchLib() is { } py) return new LibTorchChoice(py, "PyTorch install (python3)");
        if (HasBundled()) return LibTorchChoice.Bundled;
        throw new UsageError("no libtorch found: pass --libtorch DIR (a libtorch or PyTorch torch/lib folder), " +
                             $"set {EnvironmentVariable}, or install PyTorch for python3");
    }

    /// <summary>Binds TorchSharp to <paramref name="choice"/>, initialises the device and returns it.</summary>
    public static Device Initialise(string deviceText, string? explicitDir, IRunLog log)
    {
        var (type, index) = ParseDevice(deviceText);
        var choice = Resolve(explicitDir, type == DeviceType.CUDA);
        Activate(choice);
        log.Info($"libtorch: {choice.Source}{(choice.Directory is null ? "" : " at " + choice.Directory)}");
        if (type == DeviceType.CUDA)
        {
            bool ok;
            try { ok = TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available(); }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or InvalidOperationException) { ok = false; }
            if (!ok)
                throw new UsageError($"--device {deviceText}: CUDA is not available with the libtorch in use ({choice.Source}" +
                                     (choice.Directory is null ? ")" : $" at {choice.Directory})") +
                                     "; point --libtorch or PE_LIBTORCH at a CUDA build, e.g. a PyTorch install's torch/lib");
            if (index >= cuda.device_count())
                throw UsageError.Option("--device", $"a CUDA device index below {cuda.device_count()}", deviceText);
            return new Device(DeviceType.CUDA, index);
        }
        InitializeDeviceType(DeviceType.CPU);
        return CPU;
    }

    public static (DeviceType Type, int Index) ParseDevice(string text)
    {
        if (text == "cpu") return (DeviceType.CPU, -1);
        if (text == "cuda") return (DeviceType.CUDA, 0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text[5..], out var i) && i >= 0) return (DeviceType.CUDA, i);
        throw UsageError.Option("--device", "cpu, cuda or cuda:N", text);
    }

    private static void Activate(LibTorchChoice choice)
    {
        if (_active is not null)
        {
            if (_active != choice) throw new InvalidOperationException($"libtorch already bound to {_active.Source}");
            return;
        }
        _active = choice;
        if (choice.Directory is not { } dir) return;
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, assembly, searchPath) =>
        {
            string? file = name switch
            {
                "torch_cpu" => "libtorch_cpu.so",
                "torch_cuda" => "libtorch_cuda.so",
                _ => null,
            };
            if (file is not null)
                return NativeLibrary.TryLoad(Path.Combine(dir, file), out var h) ? h : IntPtr.Zero;
            if (name == "LibTorchSharp")
            {
                // Load the chosen libtorch first: LibTorchSharp's own needs (libtorch.so, libc10.so, ...) are then
                // satisfied by the already-loaded libraries of the same soname, never by bundled copies.
                foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
                    NativeLibrary.TryLoad(Path.Combine(dir, lib), out _);
                return NativeLibrary.TryLoad(name, assembly, searchPath, out var h) ? h : IntPtr.Zero;
            }
            return IntPtr.Zero;
        });
    }

    private static LibTorchChoice Checked(string dir, string source)
    {
        var full = Path.GetFullPath(dir);
        if (!File.Exists(Path.Combine(full, "libtorch_cpu.so")))
            throw new UsageError($"{source}: expected a folder holding libtorch_cpu.so (a libtorch lib folder or a PyTorch install's torch/lib), found {full}");
        return new LibTorchChoice(full, source);
    }

    private static bool HasBundled()
    {
        var baseDir = AppContext.BaseDirectory;
        return File.Exists(Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libtorch_cpu.so")) ||
               File.Exists(Path.Combine(baseDir, "libtorch_cpu.so"));
    }

    /// <summary>torch/lib of the PyTorch that python3 would import, found without importing it (fast).</summary>
    private static string? FindPyTorchLib()
    {
        const string script = "import importlib.util, os; s = importlib.util.find_spec('torch'); " +
                              "print(os.path.join(os.path.dirname(s.origin), 'lib') if s and s.origin else '')";
        try
        {
            using var p = Process.Start(new ProcessStartInfo("python3", ["-c", script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(10_000);
            return output.Length > 0 && File.Exists(Path.Combine(output, "libtorch_cpu.so")) ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no python3 on PATH
        }
    }

    /// <summary>The version string of the managed TorchSharp assembly (for run metadata).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
