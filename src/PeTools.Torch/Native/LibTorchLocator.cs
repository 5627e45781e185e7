using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Native;

/// <summary>Where the libtorch that this process uses came from.</summary>
public sealed record LibTorchChoice(string Directory, string Source);

/// <summary>
/// Finds libtorch and binds TorchSharp to it: <c>--libtorch DIR</c>, else <c>PE_LIBTORCH</c>, else (when CUDA is asked
/// for, or no CPU libtorch is bundled) the <c>torch/lib</c> of a PyTorch install found through python3, else the
/// bundled CPU libtorch in <c>libtorch-cpu/</c> beside the tool.
/// Binding = loading the chosen libraries by absolute path BEFORE TorchSharp's own loader runs: TorchSharp then asks
/// for "torch_cpu"/"torch_cuda"/"LibTorchSharp" by name, and the dynamic loader answers with the libraries already
/// loaded under those sonames. The bundled copy is plain files (not native assets), so nothing loads it by name, and
/// two libtorch builds never meet in one process.
/// </summary>
public static class LibTorchLocator
{
    public const string EnvironmentVariable = "PE_LIBTORCH";
    public const string BundledFolder = "libtorch-cpu";
    private static readonly object Gate = new();
    private static LibTorchChoice? _active;
    private static bool _cudaLoaded;

    /// <summary>The libtorch this process is bound to, or null before <see cref="Bind"/>.</summary>
    public static LibTorchChoice? Active => _active;

    public static LibTorchChoice Resolve(string? explicitDir, bool wantCuda)
    {
        if (!string.IsNullOrEmpty(explicitDir)) return Checked(explicitDir, "--libtorch");
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) return Checked(env, EnvironmentVariable);
        var bundled = Path.Combine(AppContext.BaseDirectory, BundledFolder);
        bool hasBundled = File.Exists(Path.Combine(bundled, "libtorch_cpu.so"));
        if ((wantCuda || !hasBundled) && FindPyTorchLib() is { } py) return new LibTorchChoice(py, "PyTorch install (python3)");
        if (hasBundled) return new LibTorchChoice(bundled, "bundled libtorch-cpu");
        throw new UsageError("no libtorch found: pass --libtorch DIR (a libtorch or PyTorch torch/lib folder), " +
                             $"set {EnvironmentVariable}, or install PyTorch for python3");
    }

    /// <summary>
    /// <see cref="Initialise(string, string?, IRunLog)"/>, then libtorch's CPU thread count when <paramref name="threads"/> &gt; 0
    /// (the --threads option of every tool that loads a model).
    /// </summary>
    public static Device Initialise(string deviceText, string? explicitDir, IRunLog log, int threads)
    {
        var device = Initialise(deviceText, explicitDir, log);
        if (threads > 0) set_num_threads(threads);
        return device;
    }

    /// <summary>Binds TorchSharp to the libtorch <see cref="Resolve"/> finds, initialises the device and returns it.</summary>
    public static Device Initialise(string deviceText, string? explicitDir, IRunLog log)
    {
        var (type, index) = ParseDevice(deviceText);
        var choice = Bind(explicitDir, type == DeviceType.CUDA);
        log.Info($"libtorch: {choice.Source} at {choice.Directory}");
        if (type == DeviceType.CUDA)
        {
            bool ok;
            try { ok = _cudaLoaded && TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available(); }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or InvalidOperationException) { ok = false; }
            if (!ok)
                throw new UsageError($"--device {deviceText}: CUDA is not available with the libtorch in use ({choice.Source} at " +
                                     $"{choice.Directory}); point --libtorch or {EnvironmentVariable} at a CUDA build, e.g. a PyTorch install's torch/lib");
            if (index >= cuda.device_count())
                throw UsageError.Option("--device", $"a CUDA device index below {cuda.device_count()}", deviceText);
            return new Device(DeviceType.CUDA, index);
        }
        InitializeDeviceType(DeviceType.CPU);
        return CPU;
    }

    /// <summary>
    /// Loads libtorch (and its CUDA part when asked and present) plus libLibTorchSharp by absolute path, once per process.
    /// Tests and library callers that never go through <see cref="Initialise"/> call this with (null, false).
    /// </summary>
    public static LibTorchChoice Bind(string? explicitDir, bool wantCuda)
    {
        lock (Gate)
        {
            if (_active is not null) return _active;
            var choice = Resolve(explicitDir, wantCuda);
            var dir = choice.Directory;
            var order = new List<string> { "libc10.so" };
            bool cudaPresent = wantCuda && File.Exists(Path.Combine(dir, "libtorch_cuda.so"));
            if (cudaPresent) order.Add("libc10_cuda.so");
            order.Add("libtorch_cpu.so");
            if (cudaPresent) order.Add("libtorch_cuda.so");
            order.Add("libtorch.so");
            foreach (var lib in order)
            {
                var path = Path.Combine(dir, lib);
                if (!File.Exists(path)) continue; // some builds fold libraries together
                try { NativeLibrary.Load(path); }
                catch (DllNotFoundException e)
                {
                    throw new UsageError($"{choice.Source}: cannot load {path}: {e.Message.Split('\n')[0]}");
                }
            }
            NativeLibrary.Load(LibTorchSharpPath());
            _cudaLoaded = cudaPresent;
            _active = choice;
            return choice;
        }
    }

    internal static string LibTorchSharpPath()
    {
        var baseDir = AppContext.BaseDirectory;
        foreach (var candidate in new[]
                 {
                     Path.Combine(baseDir, "libLibTorchSharp.so"),
                     Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                 })
            if (File.Exists(candidate)) return candidate;
        throw new InvalidOperationException($"libLibTorchSharp.so is missing from {baseDir} (a broken install)");
    }

    public static (DeviceType Type, int Index) ParseDevice(string text)
    {
        if (text == "cpu") return (DeviceType.CPU, -1);
        if (text == "cuda") return (DeviceType.CUDA, 0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text[5..], out var i) && i >= 0) return (DeviceType.CUDA, i);
        throw UsageError.Option("--device", "cpu, cuda or cuda:N", text);
    }

    private static LibTorchChoice Checked(string dir, string source)
    {
        var full = Path.GetFullPath(dir);
        if (!File.Exists(Path.Combine(full, "libtorch_cpu.so")))
            throw new UsageError($"{source}: expected a folder holding libtorch_cpu.so (a libtorch lib folder or a PyTorch install's torch/lib), found {full}");
        return new LibTorchChoice(full, source);
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
