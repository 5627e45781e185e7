namespace PeTools.Core.Logging;

/// <summary>
/// Where library code reports what it is doing. Library code never touches <c>Console</c>: the CLI injects an
/// implementation bound to stderr (silent with -q), tests inject one that records or discards.
/// </summary>
public interface IRunLog
{
    void Info(string message);
    void Warn(string message);

    /// <summary>Runs <paramref name="work"/> with a progress reporter for <paramref name="total"/> units.</summary>
    T WithProgress<T>(string label, long total, Func<IProgressReport, T> work);
}

public interface IProgressReport
{
    /// <summary>Sets the number of units done so far, with an optional short status (loss, accuracy).</summary>
    void Report(long done, string? status = null);
}

/// <summary>A log that drops everything (for tests and library callers that want silence).</summary>
public sealed class SilentLog : IRunLog
{
    public static readonly SilentLog Instance = new();
    public void Info(string message) { }
    public void Warn(string message) { }
    public T WithProgress<T>(string label, long total, Func<IProgressReport, T> work) => work(NoProgress.Instance);

    private sealed class NoProgress : IProgressReport
    {
        public static readonly NoProgress Instance = new();
        public void Report(long done, string? status = null) { }
    }
}
