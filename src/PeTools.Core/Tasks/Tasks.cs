using PeTools.Core.Errors;

namespace PeTools.Core.Tasks;

/// <summary>
/// A registry row (STYLE.md §1): the key the CLI and metadata use, whether the task couples content with
/// position, a one-line description, the parameters with the paper's defaults, what a test-N split and
/// --faithful change (for help texts), and the factory.
/// </summary>
public sealed record TaskInfo(
    string Key,
    PositionDependence Dependence,
    string Description,
    IReadOnlyList<TaskParameter> Parameters,
    string LengthRule,
    string FaithfulRule,
    Func<TaskSettings, SyntheticTask> Create)
{
    /// <summary>Resolves settings (defaults filled, each value checked) and builds the task (cross-checks).</summary>
    public SyntheticTask Build(IReadOnlyDictionary<string, int>? values = null, long seed = 0, bool faithful = false,
        IReadOnlyList<int>? testSeqLens = null) =>
        Create(new TaskSettings(Parameters, values, seed, faithful, testSeqLens));
}

/// <summary>
/// The one list of synthetic tasks. It drives pe-gen-task's subcommands and <c>list</c>, the metadata and the
/// test matrix; adding a task is one file plus one line here.
/// </summary>
public static class Tasks
{
    public static IReadOnlyList<TaskInfo> All { get; } = [DistanceTask.Info, CountTask.Info];

    public static TaskInfo Get(string key) =>
        All.FirstOrDefault(t => t.Key == key)
        ?? throw new UsageError($"unknown task '{key}' (expected one of {string.Join(", ", All.Select(t => t.Key))})");
}
