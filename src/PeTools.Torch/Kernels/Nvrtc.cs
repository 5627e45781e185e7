using System.Runtime.InteropServices;
using System.Text;
using PeTools.Torch.Native;

namespace PeTools.Torch.Kernels;

/// <summary>
/// NVRTC, CUDA's run-time compiler, found where a PyTorch install keeps it: <c>PE_NVRTC</c> (a file), the loader's
/// search path (libnvrtc.so.13, .12), then the pip packages beside the bound libtorch (site-packages/nvidia/*/lib,
/// torch/lib itself). Compiles CUDA C++ to a cubin for one architecture (PTX for the driver to finish when this NVRTC
/// is older than the GPU).
/// </summary>
internal static unsafe class Nvrtc
{
    public const string EnvironmentVariable = "PE_NVRTC";

    /// <summary>Macro definitions for every compile, "NAME=VALUE NAME2=VALUE2" (each passed as -DNAME=VALUE): the kernels'
    /// tuning constants that default in their sources (e.g. mma_attention.cu's PE_MMA_STEP), so a benchmark can time
    /// other values side by side in one run without a rebuild. Unset in normal use.</summary>
    public const string DefinesVariable = "PE_NVRTC_DEFINES";
    /// <summary>The options of every compile besides the target and <see cref="DefinesVariable"/>'s.</summary>
    internal static readonly string[] FixedOptions = ["--std=c++17", "--fmad=true"];
    private static readonly object Gate = new();
    private static Api? _api;
    private static string? _failure;

    private sealed class Api
    {
        public required string Path;
        public required delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int> CreateProgram;
        public required delegate* unmanaged<IntPtr, int, byte**, int> CompileProgram;
        public required delegate* unmanaged<IntPtr*, int> DestroyProgram;
        public required delegate* unmanaged<IntPtr, nuint*, int> GetProgramLogSize;
        public required delegate* unmanaged<IntPtr, byte*, int> GetProgramLog;
        public required delegate* unmanaged<IntPtr, nuint*, int> GetCubinSize;
        public required delegate* unmanaged<IntPtr, byte*, int> GetCubin;
        public required delegate* unmanaged<IntPtr, nuint*, int> GetPtxSize;
        public required delegate* unmanaged<IntPtr, byte*, int> GetPtx;
        public required delegate* unmanaged<int*, int*, int> Version;
    }

    /// <summary>Where NVRTC was loaded from and its version, e.g. "13.0 (/…/libnvrtc.so.13)".</summary>
    public static string Describe()
    {
        var api = Load();
        int major, minor;
        api.Version(&major, &minor);
        return $"{major}.{minor} ({api.Path})";
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (which may include any of <paramref name="headers"/> by name) for compute
    /// capability <paramref name="major"/>.<paramref name="minor"/>: a cubin (sm_XY), or PTX (compute_XY) when this
    /// NVRTC does not know sm_XY.
    /// </summary>
    public static byte[] Compile(string source, string name, IReadOnlyList<(string Name, string Source)> headers, int major, int minor)
    {
        var api = Load();
        var (ok, image, log) = TryCompile(api, source, name, headers, $"--gpu-architecture=sm_{major}{minor}", cubin: true);
        if (ok) return image;
        var (ptxOk, ptx, ptxLog) = TryCompile(api, source, name, headers, $"--gpu-architecture=compute_{major}{minor}", cubin: false);
        if (ptxOk) return ptx;
        throw new CudaException($"NVRTC could not compile {name} for sm_{major}{minor}: {FirstLines(log.Length > 0 ? log : ptxLog)}");
    }

    private static (bool Ok, byte[] Image, string Log) TryCompile(Api api, string source, string name,
        IReadOnlyList<(string Name, string Source)> headers, string arch, bool cubin)
    {
        IntPtr program;
        var texts = headers.Select(h => GCHandle.Alloc(Utf8(h.Source), GCHandleType.Pinned)).ToArray();
        var names = headers.Select(h => GCHandle.Alloc(Utf8(h.Name), GCHandleType.Pinned)).ToArray();
        try
        {
            byte** headerTexts = stackalloc byte*[Math.Max(1, texts.Length)];
            byte** headerNames = stackalloc byte*[Math.Max(1, names.Length)];
            for (int i = 0; i < texts.Length; i++)
            {
                headerTexts[i] = (byte*)texts[i].AddrOfPinnedObject();
                headerNames[i] = (byte*)names[i].AddrOfPinnedObject();
            }
            fixed (byte* src = Utf8(source), nm = Utf8(name))
                Check(api.CreateProgram(&program, src, nm, texts.Length, headerTexts, headerNames), "nvrtcCreateProgram");
        }
        finally
        {
            foreach (var h in texts.Concat(names)) h.Free();
        }
        try
        {
            var options = new[] { arch }.Concat(FixedOptions).Concat(Defines()).Select(Utf8).ToArray();
            var handles = options.Select(o => GCHandle.Alloc(o, GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                byte** opts = stackalloc byte*[options.Length];
                for (int i = 0; i < options.Length; i++) opts[i] = (byte*)handles[i].AddrOfPinnedObject();
                result = api.CompileProgram(program, options.Length, opts);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            nuint logSize;
            api.GetProgramLogSize(program, &logSize);
            var logBytes = new byte[(int)logSize];
            fixed (byte* l = logBytes) api.GetProgramLog(program, l);
            var log = Encoding.UTF8.GetString(logBytes).TrimEnd('\0', '\n', ' ');
            if (result != 0) return (false, [], log);
            nuint size;
            Check(cubin ? api.GetCubinSize(program, &size) : api.GetPtxSize(program, &size), "nvrtcGet*Size");
            var image = new byte[(int)size];
            fixed (byte* p = image) Check(cubin ? api.GetCubin(program, p) : api.GetPtx(program, p), "nvrtcGet*");
            return (true, image, log);
        }
        finally
        {
            api.DestroyProgram(&program);
        }
    }

    private static Api Load()
    {
        lock (Gate)
        {
            if (_api is not null) return _api;
            if (_failure is not null) throw new CudaException(_failure);
            foreach (var candidate in Candidates())
            {
                if (!NativeLibrary.TryLoad(candidate, out var handle)) continue;
                if (!NativeLibrary.TryGetExport(handle, "nvrtcCompileProgram", out _)) continue;
                PreloadBuiltins(candidate);
                IntPtr F(string symbol) => NativeLibrary.GetExport(handle, symbol);
                _api = new Api
                {
                    Path = candidate,
                    CreateProgram = (delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)F("nvrtcCreateProgram"),
                    CompileProgram = (delegate* unmanaged<IntPtr, int, byte**, int>)F("nvrtcCompileProgram"),
                    DestroyProgram = (delegate* unmanaged<IntPtr*, int>)F("nvrtcDestroyProgram"),
                    GetProgramLogSize = (delegate* unmanaged<IntPtr, nuint*, int>)F("nvrtcGetProgramLogSize"),
                    GetProgramLog = (delegate* unmanaged<IntPtr, byte*, int>)F("nvrtcGetProgramLog"),
                    GetCubinSize = (delegate* unmanaged<IntPtr, nuint*, int>)F("nvrtcGetCUBINSize"),
                    GetCubin = (delegate* unmanaged<IntPtr, byte*, int>)F("nvrtcGetCUBIN"),
                    GetPtxSize = (delegate* unmanaged<IntPtr, nuint*, int>)F("nvrtcGetPTXSize"),
                    GetPtx = (delegate* unmanaged<IntPtr, byte*, int>)F("nvrtcGetPTX"),
                    Version = (delegate* unmanaged<int*, int*, int>)F("nvrtcVersion"),
                };
                return _api;
            }
            _failure = $"libnvrtc not found (set {EnvironmentVariable} to its path; looked in: {string.Join(", ", Candidates().Take(6))})";
            throw new CudaException(_failure);
        }
    }

    /// <summary>
    /// NVRTC opens libnvrtc-builtins by name when it first compiles; a pip install keeps it beside libnvrtc, a folder the
    /// loader does not search. Loaded here by path, it is then found under its soname.
    /// </summary>
    private static void PreloadBuiltins(string nvrtc)
    {
        var dir = Path.GetDirectoryName(nvrtc);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir)) return;
        foreach (var builtins in Directory.GetFiles(dir, "libnvrtc-builtins*.so*").Order(StringComparer.Ordinal))
            NativeLibrary.TryLoad(builtins, out _);
    }

    /// <summary>Library names and paths to try, in order.</summary>
    internal static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) yield return env;
        yield return "libnvrtc.so.13";
        yield return "libnvrtc.so.12";
        if (LibTorchLocator.Active?.Directory is not { } torchLib) yield break;
        var sitePackages = Path.GetFullPath(Path.Combine(torchLib, "..", ".."));
        var dirs = new List<string> { torchLib };
        var nvidia = Path.Combine(sitePackages, "nvidia");
        if (Directory.Exists(nvidia))
            dirs.AddRange(Directory.GetDirectories(nvidia).Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "lib")));
        foreach (var dir in dirs.Where(Directory.Exists))
            foreach (var file in Directory.GetFiles(dir, "libnvrtc*.so*").Order(StringComparer.Ordinal))
                if (!Path.GetFileName(file).Contains("builtins", StringComparison.Ordinal)) yield return file;
    }

    /// <summary>-D options from <see cref="DefinesVariable"/>.</summary>
    internal static IEnumerable<string> Defines() =>
        (Environment.GetEnvironmentVariable(DefinesVariable) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(d => "-D" + d);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static string FirstLines(string log) => string.Join(" | ", log.Split('\n').Where(l => l.Trim().Length > 0).Take(4));

    private static void Check(int result, string call)
    {
        if (result != 0) throw new CudaException($"{call} failed: NVRTC error {result}");
    }
}
