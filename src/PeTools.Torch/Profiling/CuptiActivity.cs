using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PeTools.Torch.Profiling;

/// <summary>One GPU activity CUPTI recorded: a kernel (its name as the driver knows it, mangled for C++ kernels), or a
/// memset / memcpy (named <c>Memset</c> / <c>Memcpy</c>); start and end in the GPU's nanoseconds.</summary>
public readonly record struct GpuActivity(string Name, ulong StartNs, ulong EndNs)
{
    public double Microseconds => (EndNs - StartNs) / 1000.0;
}

/// <summary>
/// Kernel tracing through CUPTI's activity API, for the .NET process that libtorch runs in (torch.profiler cannot see
/// it, and TorchSharp binds no profiler). CUPTI ships with the CUDA toolkit and with PyTorch's CUDA wheels
/// (<c>nvidia/…/lib/libcupti.so.*</c> next to <c>torch/lib</c>); <see cref="Find"/> looks there. Kernels inside CUDA
/// graph replays are recorded too. Records are read by field offset from CUPTI's packed kernel record
/// (CUpti_ActivityKernel4 … 10 share the prefix used here: start at 16, end at 24, name at 104), and the memset/memcpy
/// records (start at 16, end at 24).
/// </summary>
public sealed unsafe class CuptiActivity : IDisposable
{
    public const string EnvironmentVariable = "PE_TOOLS_CUPTI";
    private const int KindMemcpy = 1, KindMemset = 2, KindConcurrentKernel = 10;
    private const int BufferBytes = 8 << 20;

    private static readonly ConcurrentQueue<GpuActivity> Collected = new();
    private static CuptiActivity? _active;
    private static Api? _api;

    private readonly Api api;
    private bool stopped;

    private CuptiActivity(Api api) => this.api = api;

    /// <summary>Starts recording every kernel, memset and memcpy of the process until <see cref="Stop"/>; one recorder at a
    /// time. Throws <see cref="InvalidOperationException"/> with the reason when CUPTI cannot be found or refuses.</summary>
    public static CuptiActivity Start(string? torchLibDirectory)
    {
        if (_active is not null) throw new InvalidOperationException("a CUPTI recorder is already running");
        var api = _api ??= Api.Load(Find(torchLibDirectory)
            ?? throw new InvalidOperationException($"CUPTI (libcupti.so) not found: set {EnvironmentVariable} to its path"));
        while (Collected.TryDequeue(out _)) { }
        api.Check(api.RegisterCallbacks(&RequestBuffer, &CompleteBuffer), "cuptiActivityRegisterCallbacks");
        foreach (var kind in new[] { KindConcurrentKernel, KindMemset, KindMemcpy }) api.Check(api.Enable(kind), "cuptiActivityEnable");
        return _active = new CuptiActivity(api);
    }

    /// <summary>Flushes CUPTI's buffers, stops recording and returns what it recorded, in no particular order. Call after
    /// the device has finished the work (a synchronize).</summary>
    public IReadOnlyList<GpuActivity> Stop()
    {
        if (stopped) return [];
        stopped = true;
        foreach (var kind in new[] { KindConcurrentKernel, KindMemset, KindMemcpy }) api.Disable(kind);
        api.Check(api.FlushAll(1), "cuptiActivityFlushAll"); // CUPTI_ACTIVITY_FLAG_FLUSH_FORCED: incomplete buffers too
        _active = null;
        var all = new List<GpuActivity>();
        while (Collected.TryDequeue(out var a)) all.Add(a);
        return all;
    }

    public void Dispose() => Stop();

    /// <summary>libcupti: <see cref="EnvironmentVariable"/>, then one already loaded or on the loader's path, then a
    /// PyTorch wheel's (<c>site-packages/nvidia/*/lib</c> beside <c>torch/lib</c>), then the CUDA toolkit's.</summary>
    public static string? Find(string? torchLibDirectory)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitPath) return explicitPath;
        foreach (var soname in new[] { "libcupti.so.13", "libcupti.so.12", "libcupti.so" })
            if (NativeLibrary.TryLoad(soname, out var handle))
            {
                NativeLibrary.Free(handle);
                return soname;
            }
        var folders = new List<string>();
        if (torchLibDirectory is not null)
        {
            var sitePackages = Path.GetFullPath(Path.Combine(torchLibDirectory, "..", ".."));
            var nvidia = Path.Combine(sitePackages, "nvidia");
            if (Directory.Exists(nvidia))
                folders.AddRange(Directory.EnumerateDirectories(nvidia).Select(d => Path.Combine(d, "lib")).Order(StringComparer.Ordinal));
        }
        folders.Add("/usr/local/cuda/extras/CUPTI/lib64");
        return folders.Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "libcupti.so*").Order(StringComparer.Ordinal))
            .FirstOrDefault();
    }

    /// <summary>One activity from a CUPTI record of the given kind, or null for kinds not recorded here (or a record too
    /// short for its kind).</summary>
    public static GpuActivity? Decode(ReadOnlySpan<byte> record)
    {
        if (record.Length < 32) return null;
        int kind = MemoryMarshal.Read<int>(record);
        ulong start = MemoryMarshal.Read<ulong>(record[16..]), end = MemoryMarshal.Read<ulong>(record[24..]);
        return kind switch
        {
            KindConcurrentKernel when record.Length >= LongestRead => new GpuActivity(Marshal.PtrToStringUTF8((IntPtr)MemoryMarshal.Read<long>(record[104..])) ?? "?", start, end),
            KindMemset => new GpuActivity("Memset", start, end),
            KindMemcpy => new GpuActivity("Memcpy", start, end),
            _ => null,
        };
    }

    // The kernel record is the longest read: up to the name pointer at offset 104.
    private const int LongestRead = 112;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void RequestBuffer(byte** buffer, nuint* size, nuint* maxRecords)
    {
        *buffer = (byte*)NativeMemory.AlignedAlloc(BufferBytes, 8);
        *size = BufferBytes;
        *maxRecords = 0; // as many as fit
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void CompleteBuffer(IntPtr context, uint stream, byte* buffer, nuint size, nuint valid)
    {
        try
        {
            var api = _api;
            byte* record = null;
            while (api is not null && api.NextRecord(buffer, valid, &record) == 0)
            {
                long left = (long)valid - (record - buffer); // a short record at the buffer's end: read no further
                if (Decode(new ReadOnlySpan<byte>(record, (int)Math.Min(LongestRead, left))) is { } activity) Collected.Enqueue(activity);
            }
        }
        finally { NativeMemory.AlignedFree(buffer); }
    }

    private sealed class Api
    {
        public delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<byte**, nuint*, nuint*, void>,
            delegate* unmanaged[Cdecl]<IntPtr, uint, byte*, nuint, nuint, void>, int> RegisterCallbacks;
        public delegate* unmanaged[Cdecl]<int, int> Enable, Disable;
        public delegate* unmanaged[Cdecl]<uint, int> FlushAll;
        public delegate* unmanaged[Cdecl]<byte*, nuint, byte**, int> NextRecord;
        private delegate* unmanaged[Cdecl]<int, IntPtr*, int> resultString;

        public static Api Load(string path)
        {
            if (!NativeLibrary.TryLoad(path, out var lib)) throw new InvalidOperationException($"{path}: CUPTI could not be loaded");
            IntPtr Export(string name) => NativeLibrary.TryGetExport(lib, name, out var f) ? f
                : throw new InvalidOperationException($"{path}: no {name} (not a CUPTI library?)");
            return new Api
            {
                RegisterCallbacks = (delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<byte**, nuint*, nuint*, void>,
                    delegate* unmanaged[Cdecl]<IntPtr, uint, byte*, nuint, nuint, void>, int>)Export("cuptiActivityRegisterCallbacks"),
                Enable = (delegate* unmanaged[Cdecl]<int, int>)Export("cuptiActivityEnable"),
                Disable = (delegate* unmanaged[Cdecl]<int, int>)Export("cuptiActivityDisable"),
                FlushAll = (delegate* unmanaged[Cdecl]<uint, int>)Export("cuptiActivityFlushAll"),
                NextRecord = (delegate* unmanaged[Cdecl]<byte*, nuint, byte**, int>)Export("cuptiActivityGetNextRecord"),
                resultString = (delegate* unmanaged[Cdecl]<int, IntPtr*, int>)Export("cuptiGetResultString"),
            };
        }

        public void Check(int result, string call)
        {
            if (result == 0) return;
            IntPtr text = IntPtr.Zero;
            string why = resultString(result, &text) == 0 && text != IntPtr.Zero ? Marshal.PtrToStringUTF8(text) ?? "" : "";
            throw new InvalidOperationException($"{call} failed: CUPTI error {result} {why}".TrimEnd());
        }
    }
}
