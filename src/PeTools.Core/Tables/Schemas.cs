namespace PeTools.Core.Tables;

/// <summary>
/// Every table kind pe-tools reads or writes, declared once. Column names exist as constants here and nowhere
/// else; the README schema tables are generated from these declarations (<c>pe-gen-task schema</c>).
/// </summary>
public static partial class Schemas
{
    public static class DatasetColumns
    {
        public const string Split = "split";
        public const string Tokens = "tokens";
        public const string Target = "target";
    }

    /// <summary>A synthetic-task dataset: one sequence per row.</summary>
    public static readonly TableSchema Dataset = new("dataset", "one token sequence per row (pe-gen-task)",
    [
        new(DatasetColumns.Split, ColumnType.String, "train or test (or test-<len> for held-out lengths)"),
        new(DatasetColumns.Tokens, ColumnType.Int32List, "token ids, no padding; 0 is reserved for padding"),
        new(DatasetColumns.Target, ColumnType.Int32, "the class to predict"),
    ]);

    public static class MetricsColumns
    {
        public const string Step = "step";
        public const string Epoch = "epoch";
        public const string Split = "split";
        public const string Loss = "loss";
        public const string Accuracy = "accuracy";
        public const string Lr = "lr";
        public const string TokensPerSecond = "tokens_per_s";
    }

    /// <summary>Training metrics: one row per (evaluation point, split).</summary>
    public static readonly TableSchema Metrics = new("metrics", "training curves (pe-train)",
    [
        new(MetricsColumns.Step, ColumnType.Int64, "optimizer steps taken"),
        new(MetricsColumns.Epoch, ColumnType.Float64, "epochs completed (fractional between epochs)"),
        new(MetricsColumns.Split, ColumnType.String, "train, test, or another split of the dataset"),
        new(MetricsColumns.Loss, ColumnType.Float64, "mean cross-entropy"),
        new(MetricsColumns.Accuracy, ColumnType.Float64, "argmax accuracy"),
        new(MetricsColumns.Lr, ColumnType.Float64, "learning rate at this step"),
        new(MetricsColumns.TokensPerSecond, ColumnType.Float64, "training throughput since the last row (0 for eval rows)"),
    ]);

    /// <summary>All schemas, for kind detection (pe-report) and the README tables.</summary>
    public static IReadOnlyList<TableSchema> All =>
    [
        Dataset, Metrics, TaskList, SchemaList, PositionalEncodings, Predictions, Benchmark, KernelProfile, FastPathCheck, Spectrum, Contraction,
        Ablation, Deposit, AttentionMap, HeadStats, PositionalVectors, DynamicsDrops, DynamicsSummary, TriggerAttention, Probes,
        LogitSpectrum, Hessian,
        Grid, SweepPlan, SweepSummary,
        Claims, ClaimVerdicts, ClaimRules,
    ];

    /// <summary>The schema whose required columns a file with <paramref name="columns"/> satisfies, most specific first.</summary>
    public static TableSchema? Recognise(IReadOnlyList<string> columns) =>
        All.Where(s => s.IsSatisfiedBy(columns)).OrderByDescending(s => s.Columns.Count).FirstOrDefault();
}
