namespace PeTools.Core.Tables;

/// <summary>Tables of pe-train besides metrics: predictions and benchmarks.</summary>
public static partial class Schemas
{
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
        public const string DeviceMemMb = "device_mem_mb";
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
        new(BenchmarkColumns.PeakMemMb, ColumnType.Float64, "peak GPU memory allocated by tensors, MiB (PyTorch's allocator statistics; NaN when unknown)"),
        new(BenchmarkColumns.DeviceMemMb, ColumnType.Float64,
            "GPU memory the case took from the device, MiB: in use after the timed steps minus before the model was built (driver's free memory; allocator cache, workspaces and kernels included; NaN when not measured)",
            Required: false),
        new(BenchmarkColumns.Note, ColumnType.String, "how it was measured, or why it failed"),
    ]);

    public static class KernelProfileColumns
    {
        public const string Case = "case";
        public const string Kernel = "kernel";
        public const string CallsPerStep = "calls_per_step";
        public const string MicrosecondsPerStep = "us_per_step";
        public const string Share = "share";
    }

    /// <summary>Where a training step's GPU time goes, a kernel a row (pe-train bench --profile, bench/train/torch_bench.py --profile).</summary>
    public static readonly TableSchema KernelProfile = new("kernel-profile", "GPU time per training step by kernel (pe-train bench --profile, torch_bench.py --profile)",
    [
        new(KernelProfileColumns.Case, ColumnType.String, "impl/precision/pe/config, as the benchmark row's"),
        new(KernelProfileColumns.Kernel, ColumnType.String,
            "the kernel's name (first 160 characters; mangled for C++ kernels in pe-train's rows), or ALL KERNELS, or GPU IDLE (the recorded span's time with no kernel running)"),
        new(KernelProfileColumns.CallsPerStep, ColumnType.Float64, "launches per step"),
        new(KernelProfileColumns.MicrosecondsPerStep, ColumnType.Float64, "GPU time per step, microseconds"),
        new(KernelProfileColumns.Share, ColumnType.Float64, "fraction of all kernel time per step"),
    ]);

    public static class FastPathCheckColumns
    {
        public const string Check = "check";
        public const string Case = "case";
        public const string Device = "device";
        public const string Difference = "difference";
        public const string Tolerance = "tolerance";
        public const string Status = "status";
        public const string Note = "note";
    }

    /// <summary>Each fast path of pe-train against its slow oracle on one device (pe-train check).</summary>
    public static readonly TableSchema FastPathCheck = new("fastpath-check", "fast paths against their oracles (pe-train check)",
    [
        new(FastPathCheckColumns.Check, ColumnType.String, "forward, gradients, flat-step, training or no-sync"),
        new(FastPathCheckColumns.Case, ColumnType.String, "pe/arch/attention/precision[/variant]"),
        new(FastPathCheckColumns.Device, ColumnType.String, "cpu or cuda:N"),
        new(FastPathCheckColumns.Difference, ColumnType.Float64, "largest difference, relative to the oracle's scale (see note); NaN for no-sync"),
        new(FastPathCheckColumns.Tolerance, ColumnType.Float64, "the largest difference that passes"),
        new(FastPathCheckColumns.Status, ColumnType.String, "pass, fail or skip"),
        new(FastPathCheckColumns.Note, ColumnType.String, "what was compared, or why it was skipped"),
    ]);
}
