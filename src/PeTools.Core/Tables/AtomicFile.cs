using System.Collections.Concurrent;

namespace PeTools.Core.Tables;

/// <summary>
/// A file written under a temporary name in the target's folder and renamed over the target on
/// <see cref="Commit"/>. Disposing without a commit deletes the temporary file, so a failure or Ctrl-C never
/// leaves a half-written output. Every live temporary file is also tracked so a signal handler can remove them
/// (<see cref="DeleteAllPending"/>).
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> Pending = new();
    private bool _done;

    public AtomicFile(string targetPath)
    {
        TargetPath = Path.GetFullPath(targetPath);
        var dir = Path.GetDirectoryName(TargetPath)!;
        Directory.CreateDirectory(dir);
        TempPath = Path.Combine(dir, $".{Path.GetFileName(TargetPath)}.{Environment.ProcessId}.tmp");
        Pending[TempPath] = 0;
        Stream = new FileStream(TempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
    }

    public string TargetPath { get; }
    public string TempPath { get; }
    public FileStream Stream { get; }

    public void Commit()
    {
        if (_done) throw new InvalidOperationException("already committed or discarded");
        Stream.Flush(flushToDisk: false);
        Stream.Dispose();
        File.Move(TempPath, TargetPath, overwrite: true);
        Pending.TryRemove(TempPath, out _);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        Stream.Dispose();
        TryDelete(TempPath);
        Pending.TryRemove(TempPath, out _);
    }

    /// <summary>Removes every uncommitted temporary file of this process (called on SIGINT/SIGTERM).</summary>
    public static void DeleteAllPending()
    {
        foreach (var path in Pending.Keys) TryDelete(path);
        Pending.Clear();
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
