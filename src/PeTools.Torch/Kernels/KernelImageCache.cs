using System.Security.Cryptography;
using System.Text;

namespace PeTools.Torch.Kernels;

/// <summary>
/// Compiled kernel images (cubin or PTX) kept on disk between processes, keyed by everything that decides them: the
/// compiler's version, the target, the options and every byte of the source and its headers. NVRTC takes seconds per
/// process for the run-time kernels (mma_attention.cu alone about 3 s on a slow core), and a grid starts a process per
/// run, so the second run of a machine reads what the first compiled. Best effort: a cache that cannot be read or written
/// (no home, a read-only disk) only means compiling, as without it. Writes go to a temporary file renamed into place, so
/// processes starting together never read half an image.
/// </summary>
public sealed class KernelImageCache
{
    /// <summary>Where images are kept: a directory, or <c>off</c> for none. Unset: $XDG_CACHE_HOME/pe-tools/kernels,
    /// else ~/.cache/pe-tools/kernels.</summary>
    public const string EnvironmentVariable = "PE_KERNEL_CACHE";

    private readonly string? _directory;
    private readonly object _counts = new();

    /// <param name="directory">Where images are kept; null keeps none.</param>
    public KernelImageCache(string? directory) => _directory = directory;

    /// <summary>The cache <see cref="EnvironmentVariable"/> names (or its default), or one that keeps nothing.</summary>
    public static KernelImageCache FromEnvironment()
    {
        var setting = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.Equals(setting, "off", StringComparison.Ordinal)) return new KernelImageCache(null);
        if (!string.IsNullOrEmpty(setting)) return new KernelImageCache(setting);
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache")
            : null;
        return new KernelImageCache(root is null ? null : Path.Combine(root, "pe-tools", "kernels"));
    }

    /// <summary>Images read from disk, and compiled, by this instance (for the log line).</summary>
    public int Hits { get; private set; }

    public int Misses { get; private set; }

    /// <summary>The image that <paramref name="compile"/> would make from these inputs: from disk when an earlier
    /// process kept it, else compiled and kept. <paramref name="inputs"/> must hold everything the image depends on.</summary>
    public byte[] GetOrCompile(IEnumerable<string> inputs, Func<byte[]> compile)
    {
        var path = _directory is null ? null : Path.Combine(_directory, Key(inputs) + ".bin");
        if (path is not null && TryRead(path) is { } kept)
        {
            lock (_counts) Hits++;
            return kept;
        }
        var image = compile();
        lock (_counts) Misses++;
        if (path is not null) TryWrite(path, image);
        return image;
    }

    /// <summary>SHA-256 of the inputs, each length-prefixed so that no two lists hash alike by concatenation.</summary>
    internal static string Key(IEnumerable<string> inputs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var input in inputs)
        {
            var bytes = Encoding.UTF8.GetBytes(input);
            hash.AppendData(BitConverter.GetBytes(bytes.LongLength));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static byte[]? TryRead(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string path, byte[] image)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temp, image);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { /* nothing was written */ }
        }
    }
}
