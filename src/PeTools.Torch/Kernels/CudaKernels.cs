using System.Collections.Concurrent;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Kernels;

/// <summary>
/// The run-time kernels of one CUDA device: every <c>Kernels/*.cu</c> source embedded in this assembly, compiled once by
/// NVRTC for the device's architecture on first use and loaded into its primary context (libtorch's). <see cref="For"/>
/// answers null where they cannot be had (no NVRTC, a compile error) and <see cref="Status"/> says why, so callers
/// fall back to their composite path and the tools can say which path ran.
/// </summary>
public sealed class CudaKernels : IKernelLauncher
{
    private static readonly ConcurrentDictionary<int, Lazy<(CudaKernels? Kernels, string Status)>> Devices = new();
    private readonly int _ordinal;
    private readonly IntPtr _context;
    private readonly Dictionary<string, IntPtr> _functions;

    private CudaKernels(int ordinal, IntPtr context, Dictionary<string, IntPtr> functions)
    {
        _ordinal = ordinal;
        _context = context;
        _functions = functions;
    }

    public bool IsCuda => true;

    /// <summary>The kernels of the CUDA device of <paramref name="device"/>, or null (CPU, or unavailable: see <see cref="Status"/>).</summary>
    public static CudaKernels? For(Device device) => device.type == DeviceType.CUDA ? Get(Math.Max(0, (int)device.index)).Kernels : null;

    /// <summary>One line for the log: NVRTC's version and the kernels compiled, or why there are none.</summary>
    public static string Status(Device device) => device.type == DeviceType.CUDA
        ? Get(Math.Max(0, (int)device.index)).Status
        : "run-time CUDA kernels: none on CPU (composite paths)";

    private static (CudaKernels? Kernels, string Status) Get(int ordinal) =>
        Devices.GetOrAdd(ordinal, o => new Lazy<(CudaKernels?, string)>(() => Build(o))).Value;

    private static (CudaKernels?, string) Build(int ordinal)
    {
        IntPtr context;
        int major, minor;
        try
        {
            context = CudaDriver.UseDevice(ordinal);
            (major, minor) = CudaDriver.ComputeCapability(ordinal);
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, $"run-time CUDA kernels unavailable, composite paths instead: {e.Message}");
        }
        // One module per source: a source that fails to compile costs its own kernels, not the others'. The sources
        // compile in parallel (NVRTC is thread-safe across programs) or come from the on-disk cache; modules load here.
        var functions = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
        var failures = new List<string>();
        var headers = Headers().ToList();
        var sources = Sources().ToList();
        var cache = KernelImageCache.FromEnvironment();
        var compiled = new (byte[]? Image, string? Failure)[sources.Count];
        Parallel.For(0, sources.Count, i =>
        {
            var (name, source) = sources[i];
            try
            {
                compiled[i] = (cache.GetOrCompile(CacheInputs(name, source, headers, major, minor),
                    () => Nvrtc.Compile(source, name, headers, major, minor)), null);
            }
            catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
            {
                compiled[i] = (null, $"{name}: {e.Message}");
            }
        });
        for (int i = 0; i < sources.Count; i++)
        {
            if (compiled[i] is not { Image: { } image })
            {
                failures.Add(compiled[i].Failure!);
                continue;
            }
            try
            {
                var module = CudaDriver.LoadModule(image);
                foreach (var kernel in KernelNames(sources[i].Source)) functions[kernel] = CudaDriver.Function(module, kernel);
            }
            catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
            {
                failures.Add($"{sources[i].Name}: {e.Message}");
            }
        }
        if (functions.Count == 0)
            return (null, "run-time CUDA kernels unavailable, composite paths instead: " + string.Join("; ", failures));
        var status = $"run-time CUDA kernels: {functions.Count} compiled for sm_{major}{minor} by NVRTC {Nvrtc.Describe()}: " +
                     string.Join(", ", functions.Keys.Order(StringComparer.Ordinal)) +
                     (cache.Hits > 0 ? $" ({cache.Hits} of {sources.Count} sources from the kernel cache, {KernelImageCache.EnvironmentVariable})" : "") +
                     (failures.Count > 0 ? "; NOT compiled (their composite paths run instead): " + string.Join("; ", failures) : "");
        return (new CudaKernels(ordinal, context, functions), status);
    }

    /// <summary>Everything a source's image depends on, for <see cref="KernelImageCache"/>: the compiler, the target, the
    /// macro definitions, the source and every header it may include.</summary>
    private static IEnumerable<string> CacheInputs(string name, string source, IReadOnlyList<(string Name, string Source)> headers, int major, int minor)
    {
        yield return "nvrtc " + Nvrtc.Describe();
        yield return $"sm_{major}{minor}";
        yield return string.Join(' ', Nvrtc.FixedOptions.Concat(Nvrtc.Defines()));
        yield return name;
        yield return source;
        foreach (var (headerName, headerSource) in headers)
        {
            yield return headerName;
            yield return headerSource;
        }
    }

    /// <summary>True when this device compiled <paramref name="kernel"/> (a source that failed leaves its kernels out).</summary>
    public bool Has(string kernel) => _functions.ContainsKey(kernel);

    /// <summary>Each embedded <c>.cu</c> resource, one NVRTC program (module) each: (file name, text).</summary>
    public static IEnumerable<(string Name, string Source)> Sources() => Resources(".cu");

    /// <summary>Each embedded <c>.cuh</c> resource, a header every source may include by its file name.</summary>
    public static IEnumerable<(string Name, string Source)> Headers() => Resources(".cuh");

    private static IEnumerable<(string Name, string Source)> Resources(string extension)
    {
        var assembly = typeof(CudaKernels).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.EndsWith(extension, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource, reader.ReadToEnd());
        }
    }

    /// <summary>The <c>extern "C" __global__</c> functions a source defines (a <c>__launch_bounds__(…)</c> before the name
    /// is not one).</summary>
    internal static IEnumerable<string> KernelNames(string source) =>
        System.Text.RegularExpressions.Regex.Matches(source,
                @"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?(\w+)\s*\(")
            .Select(m => m.Groups[1].Value);

    public void Launch(string kernel, KernelGrid grid, ReadOnlySpan<long> args)
    {
        if (!_functions.TryGetValue(kernel, out var function))
            throw new CudaException($"no run-time kernel '{kernel}' (have {string.Join(", ", _functions.Keys)})");
        // The autograd engine calls backward functions on its own thread: make sure libtorch's context is current there.
        CudaDriver.EnsureCurrent(_context, _ordinal);
        CudaDriver.Launch(function, grid, args, kernel);
    }
}
