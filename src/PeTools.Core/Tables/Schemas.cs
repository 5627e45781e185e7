namespace PeTools.Core.Tables;

/// <summary>
/// Every table kind pe-tools reads or writes, declared once. Column names exist as constants here and nowhere
/// else; the README schema tables are generated from these declarations (<c>pe-gen-task schema</c>).
/// </summary>
public static class Schemas
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

    public static class PositionalEncodingColumns
    {
        public const string Key = "key";
        public const string Coupling = "coupling";
        public const string Description = "description";
    }

    /// <summary>The PE registry as a table (pe-train list-pe).</summary>
    public static readonly TableSchema PositionalEncodings = new("positional-encodings", "the --pe registry (pe-train list-pe)",
    [
        new(PositionalEncodingColumns.Key, ColumnType.String, "the value --pe takes"),
        new(PositionalEncodingColumns.Coupling, ColumnType.String, "none, additive or multiplicative (paper §3)"),
        new(PositionalEncodingColumns.Description, ColumnType.String, "what it is, and its name in the reference code"),
    ]);

    public static class PredictionColumns
    {
        public const string Row = "row";
        public const string Split = "split";
        public const string Target = "target";
        public const string Predicted = "predicted";
        public const string Correct = "correct";
        public const string Loss = "loss";
    }

    /// <summary>Per-row predictions of a trained run on the first rows of one split (pe-train predict).</summary>
    public static readonly TableSchema Predictions = new("predictions", "per-row predictions of a run (pe-train predict)",
    [
        new(PredictionColumns.Row, ColumnType.Int64, "0-based index of the row within its split, in dataset order"),
        new(PredictionColumns.Split, ColumnType.String, "the split the row belongs to"),
        new(PredictionColumns.Target, ColumnType.Int32, "the true class"),
        new(PredictionColumns.Predicted, ColumnType.Int32, "argmax of the logits"),
        new(PredictionColumns.Correct, ColumnType.Int32, "1 when predicted equals target, else 0"),
        new(PredictionColumns.Loss, ColumnType.Float64, "cross-entropy of this row (no class ignored)"),
    ]);

    public static class BenchmarkColumns
    {
        public const string Impl = "impl";
        public const string Precision = "precision";
        public const string Pe = "pe";
        public const string Config = "config";
        public const string TokensPerSecond = "tokens_per_s";
        public const string StepMs = "step_ms";
        public const string PeakMemMb = "peak_mem_mb";
        public const string Note = "note";
    }

    /// <summary>Training-step throughput, one row per (implementation, precision, PE, model size) (bench/train).</summary>
    public static readonly TableSchema Benchmark = new("benchmark", "training throughput (pe-train bench, bench/train/torch_bench.py)",
    [
        new(BenchmarkColumns.Impl, ColumnType.String, "pe-train, torch-eager or torch-compile"),
        new(BenchmarkColumns.Precision, ColumnType.String, "fp32 or bf16 (autocast)"),
        new(BenchmarkColumns.Pe, ColumnType.String, "the --pe key, with /mla for latent attention"),
        new(BenchmarkColumns.Config, ColumnType.String, "model size label, e.g. paper or d1024-t512"),
        new(BenchmarkColumns.TokensPerSecond, ColumnType.Float64, "batch x sequence length per step time"),
        new(BenchmarkColumns.StepMs, ColumnType.Float64, "time of one training step (forward, loss, backward, AdamW)"),
        new(BenchmarkColumns.PeakMemMb, ColumnType.Float64, "peak allocated GPU memory in MiB (NaN when unknown)"),
        new(BenchmarkColumns.Note, ColumnType.String, "how it was measured, or why it failed"),
    ]);

    /// <summary>All schemas, for kind detection (pe-report) and the README tables.</summary>
    public static IReadOnlyList<TableSchema> All => [Dataset, Metrics, PositionalEncodings, Predictions, Benchmark];

    /// <summary>The schema whose required columns a file with <paramref name="columns"/> satisfies, most specific first.</summary>
    public static TableSchema? Recognise(IReadOnlyList<string> columns) =>
        All.Where(s => s.IsSatisfiedBy(columns)).OrderByDescending(s => s.Columns.Count).FirstOrDefault();
}
