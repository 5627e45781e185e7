namespace PeTools.Core.Tables;

/// <summary>Tables of <c>pe-train sweep</c>: the grid it reads, the plan of a dry run, and the summary it writes.</summary>
public static partial class Schemas
{
    public static class GridColumns
    {
        public const string Name = "name";
        public const string Pe = "pe";
        public const string Data = "data";
        public const string Seed = "seed";
        public const string Args = "args";
    }

    /// <summary>One training run per row. Column order matters for the Slurm sidecar: args comes last.</summary>
    public static readonly TableSchema Grid = new("grid", "one pe-train run per row (pe-train sweep --grid)",
    [
        new(GridColumns.Name, ColumnType.String, "run directory name (default {task}-{pe}-s{seed}[-hash of args])", Required: false),
        new(GridColumns.Pe, ColumnType.String, "positional encoding (see pe-train list-pe)"),
        new(GridColumns.Data, ColumnType.String, "dataset path, or a task name resolved by --data-dir DIR to DIR/NAME.parquet"),
        new(GridColumns.Seed, ColumnType.Int64, "pe-train --seed"),
        new(GridColumns.Args, ColumnType.String, "extra pe-train options, e.g. '--epochs 10 --arch standard'", Required: false),
    ]);

    public static class SweepPlanColumns
    {
        public const string Name = "name";
        public const string Action = "action";
        public const string Command = "command";
    }

    /// <summary>What a sweep would do, one row per grid row (pe-train sweep --dry-run).</summary>
    public static readonly TableSchema SweepPlan = new("sweep-plan", "what pe-train sweep would do (--dry-run)",
    [
        new(SweepPlanColumns.Name, ColumnType.String, "run directory name under --out-root"),
        new(SweepPlanColumns.Action, ColumnType.String, "run (fresh), resume (config.json exists) or skip (model.safetensors exists)"),
        new(SweepPlanColumns.Command, ColumnType.String, "the pe-train arguments of the child process"),
    ]);

    public static class SweepSummaryColumns
    {
        public const string Name = "name";
        public const string Pe = "pe";
        public const string Data = "data";
        public const string Seed = "seed";
        public const string Status = "status";
        public const string TestAccuracy = "test_accuracy";
        public const string TrainAccuracy = "train_accuracy";
        public const string Epochs = "epochs";
        public const string Seconds = "seconds";
    }

    /// <summary>One row per grid row after a sweep, read back from each run's metrics table (pe-train sweep).</summary>
    public static readonly TableSchema SweepSummary = new("sweep-summary", "outcome of every run of a grid (pe-train sweep)",
    [
        new(SweepSummaryColumns.Name, ColumnType.String, "run directory name under --out-root"),
        new(SweepSummaryColumns.Pe, ColumnType.String, "positional encoding"),
        new(SweepSummaryColumns.Data, ColumnType.String, "the grid's data cell"),
        new(SweepSummaryColumns.Seed, ColumnType.Int64, "pe-train --seed"),
        new(SweepSummaryColumns.Status, ColumnType.String, "done, stopped (ended early by its --stop-after-epochs; a rerun resumes it), skipped (complete before this sweep) or failed"),
        new(SweepSummaryColumns.TestAccuracy, ColumnType.Float64, "accuracy of the last test row of metrics (NaN when none)"),
        new(SweepSummaryColumns.TrainAccuracy, ColumnType.Float64, "accuracy of the last train row of metrics (NaN when none)"),
        new(SweepSummaryColumns.Epochs, ColumnType.Float64, "epochs completed, from metrics (0 when none)"),
        new(SweepSummaryColumns.Seconds, ColumnType.Float64, "wall time of this sweep's child process (0 when skipped)"),
    ]);
}
