using System.CommandLine;
using System.Diagnostics;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Profiling;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using Col = PeTools.Core.Tables.Schemas.BenchmarkColumns;

namespace PeTools.Train.Commands;

/// <summary>
/// <c>pe-train bench</c>: training throughput of the model that the same options would train, on one random batch
/// kept on the device (so data loading is not measured). Each step is the Trainer's (<see cref="TrainStep"/>):
/// forward, cross-entropy, backward, AdamW, in fp32 or bf16 (bf16 compute copy, fp32 master weights). The timed loop
/// never reads back to the host; the device is synchronised once before and once after it, so the step time is the
/// mean over the loop. One row of the <c>benchmark</c> table per (precision, fast-path variant): variant <c>all</c> is
/// what pe-train trains with (impl <c>pe-train</c>); <c>none</c> (every oracle) and <c>no-X</c> (all but X) time the
/// slow paths (impl <c>pe-train/VARIANT</c>), so each fast path's saving is measured in the same process.
/// Device memory is measured for the first row only: later rows reuse the caching allocator's blocks.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new TrainOptions();
        var seqLen = new Option<int?>("--seq-len") { Description = "tokens per sequence (default: --max-len)", HelpName = "T" };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first (allocator, cuBLAS and kernel warm-up)", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 20 };
        var minWarmup = new Option<double>("--min-warmup-s")
        {
            Description = "keep warming up until this many seconds have passed too (GPU clocks and the allocator settle; " +
                          "without it the first row of a process measured up to 27% slow on an H200)",
            DefaultValueFactory = _ => 1.0,
            HelpName = "S",
        };
        var label = new Option<string>("--config-label") { Description = "the config column of the row (a name for the model size)", DefaultValueFactory = _ => "custom" };
        var precision = new Option<string>("--precision") { Description = "fp32, bf16 or both (fp32,bf16): one row each", DefaultValueFactory = _ => "fp32", HelpName = "LIST" };
        var variants = new Option<string>("--fast-paths")
        {
            Description = "variants to time, comma-separated: all (what pe-train trains with), none (every slow oracle), " +
                          string.Join(", ", FastPathVariants.ByName.Keys.Where(k => k.StartsWith("no-", StringComparison.Ordinal))) + " (all but one), " +
                          "attn-kernel (all plus the scalar attention kernel in bf16 too, instead of the tensor-core one, measured slower there), " +
                          "relative-kernel (all plus the relative PE's table in the scalar attention kernel in bf16 too, measured slower), " +
                          "tc-attn (the same as all: bf16 attention for 16-dim heads on the tensor cores is a default), " +
                          "defaults-2026-12-04 (all but the five fast paths that joined the defaults on 2026-12-05), " +
                          "cudnn-bias (all plus ALiBi's attention without libtorch's memory-efficient kernel), " +
                          "explicit-const (all plus attention with a constant bias as the explicit matmul-softmax-matmul, measured slower); " +
                          "names joined by + combine (all+no-flat+no-vector-sums)",
            DefaultValueFactory = _ => "all",
            HelpName = "LIST",
        };
        var profile = new Option<string?>("--profile")
        {
            Description = "also record the GPU kernels of 3 more steps per row with CUPTI and write where the step's time goes " +
                          "(kernel-profile table: each kernel's launches and microseconds per step, and the GPU's idle time) to FILE; CUDA only",
            HelpName = "FILE",
        };
        var output = CommonOptions.Output("benchmark table (.csv or .parquet), - for stdout");
        var format = CommonOptions.Format();
        var command = new Command("bench", "Time training steps of the model the options describe, on a random batch; one benchmark row per precision and variant.");
        foreach (var option in o.ForBench) command.Add(option);
        foreach (var option in new Option[] { precision, variants, seqLen, warmup, minWarmup, steps, label, profile, output, format }) command.Add(option);
        command.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(o.Quiet));
            var model = o.Model(parse);
            model.Validate();
            int batch = TrainOptions.Positive(parse, o.BatchSize);
            int t = parse.GetValue(seqLen) ?? model.MaxLen;
            if (t <= 0) throw UsageError.Option("--seq-len", "a positive integer", t);
            int warm = parse.GetValue(warmup) is var w && w >= 0 ? w : throw UsageError.Option("--warmup", "a non-negative integer", w);
            int timed = TrainOptions.Positive(parse, steps);
            double minWarmupS = parse.GetValue(minWarmup) is var mw && mw >= 0 ? mw : throw UsageError.Option("--min-warmup-s", "a non-negative number", mw);
            var precisions = List(parse.GetValue(precision)!).Select(p => p switch
            {
                "fp32" => Precision.Fp32,
                "bf16" => Precision.Bf16,
                _ => throw UsageError.Option("--precision", "fp32, bf16 or fp32,bf16", parse.GetValue(precision)),
            }).ToList();
            var chosen = List(parse.GetValue(variants)!).Select(v => (Name: v, Paths: FastPathVariants.Parse(v))).ToList();
            var train = new TrainConfig
            {
                Beta1 = TrainOptions.Probability(parse, o.Beta1),
                Beta2 = TrainOptions.Probability(parse, o.Beta2),
                WeightDecay = parse.GetValue(o.WeightDecay),
                IgnoreClass = null,
            };
            var profilePath = parse.GetValue(profile);
            if (profilePath == "-") throw UsageError.Option("--profile", "a file (stdout takes the benchmark table)", profilePath);
            var device = LibTorchLocator.Initialise(parse.GetValue(o.Device)!, parse.GetValue(o.LibTorch), log, parse.GetValue(o.Threads));
            if (device.type == DeviceType.CUDA) log.Info(CudaKernels.Status(device));
            if (profilePath is not null && device.type != DeviceType.CUDA)
                throw UsageError.Option("--profile", "--device cuda (CUPTI records GPU kernels only)", profilePath);
            var profileRows = new List<(string Case, KernelProfileLine Line)>();
            double lr = parse.GetValue(o.Lr);
            var pe = model.Pe + (model.Attention == AttentionKind.Mla ? "/mla" : "");
            var cfgLabel = parse.GetValue(label)!;

            using var x = randint(1, model.Vocab, [batch, t], dtype: ScalarType.Int64, device: device);   // (B, T), no padding
            using var y = randint(0, model.Classes, [batch], dtype: ScalarType.Int64, device: device);     // (B)
            Synchronize(device);
            var rows = new List<Row>();
            foreach (var p in precisions)
            {
                foreach (var variant in chosen)
                {
                    bool first = rows.Count == 0;
                    double? before = first && device.type == DeviceType.CUDA ? CudaDiagnostics.DeviceMemoryUsedMiB() : null;
                    manual_seed(parse.GetValue(o.Seed));
                    using var net = new Transformer(model);
                    net.to(device);
                    using var step = new TrainStep(net, train with { Precision = p }, device, variant.Paths);
                    net.train();
                    step.Compute.train(); // dropout on, as in training
                    log.Info($"{pe} / {model.Arch} / {p.ToString().ToLowerInvariant()} / {variant.Name}: " +
                             $"{net.parameters().Sum(q => q.numel()):N0} parameters, batch {batch} x {t}, {warm} warm-up + {timed} timed steps on {device}");
                    var warmClock = Stopwatch.StartNew();
                    int warmed = 0;
                    for (; warmed < warm || warmClock.Elapsed.TotalSeconds < minWarmupS; warmed++)
                    {
                        Step(step, x, y, lr);
                        if (warmed >= warm) Synchronize(device); // past the fixed count, time what the device did
                    }
                    Synchronize(device);
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < timed; i++) Step(step, x, y, lr);
                    Synchronize(device);
                    double stepMs = clock.Elapsed.TotalMilliseconds / timed;
                    double deviceMb = before is { } b0 && CudaDiagnostics.DeviceMemoryUsedMiB() is { } after ? after - b0 : double.NaN;
                    var note = $"mean of {timed} steps after {warmed} warm-up ({warmClock.Elapsed.TotalSeconds:F1} s); one sync per end; {device}; fast paths: {variant.Paths}" +
                               (first ? "" : "; device memory not measured (allocator cache shared with the rows before)") +
                               GraphUse(step);
                    var impl = variant.Name == "all" ? "pe-train" : "pe-train/" + variant.Name;
                    rows.Add(new Row(impl, p.ToString().ToLowerInvariant(), (double)batch * t / (stepMs / 1000), stepMs, deviceMb, note));
                    log.Info($"  {stepMs:F2} ms/step, {(double)batch * t / (stepMs / 1000):N0} tokens/s" +
                             (double.IsNaN(deviceMb) ? "" : $", {deviceMb:N0} MiB of device memory"));
                    if (profilePath is not null)
                    {
                        var caseName = $"{impl}/{p.ToString().ToLowerInvariant()}/{pe}/{cfgLabel}";
                        profileRows.AddRange(ProfileSteps(step, x, y, lr, device, log).Select(line => (caseName, line)));
                    }
                }
            }

            TableWriter.WriteTable(parse.GetValue(output)!, new TableBatch(Schemas.Benchmark, new Dictionary<string, Array>
            {
                [Col.Impl] = rows.Select(r => r.Impl).ToArray(),
                [Col.Precision] = rows.Select(r => r.Precision).ToArray(),
                [Col.Pe] = rows.Select(_ => pe).ToArray(),
                [Col.Config] = rows.Select(_ => cfgLabel).ToArray(),
                [Col.TokensPerSecond] = rows.Select(r => r.TokensPerSecond).ToArray(),
                [Col.StepMs] = rows.Select(r => r.StepMs).ToArray(),
                // TorchSharp exposes no CUDA allocator statistics (no max_memory_allocated): device_mem_mb instead.
                [Col.PeakMemMb] = rows.Select(_ => double.NaN).ToArray(),
                [Col.DeviceMemMb] = rows.Select(r => r.DeviceMemMb).ToArray(),
                [Col.Note] = rows.Select(r => r.Note).ToArray(),
            }), CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            if (profilePath is not null)
                TableWriter.WriteTable(profilePath, new TableBatch(Schemas.KernelProfile, new Dictionary<string, Array>
                {
                    [Schemas.KernelProfileColumns.Case] = profileRows.Select(r => r.Case).ToArray(),
                    [Schemas.KernelProfileColumns.Kernel] = profileRows.Select(r => r.Line.Kernel).ToArray(),
                    [Schemas.KernelProfileColumns.CallsPerStep] = profileRows.Select(r => r.Line.CallsPerStep).ToArray(),
                    [Schemas.KernelProfileColumns.MicrosecondsPerStep] = profileRows.Select(r => r.Line.MicrosecondsPerStep).ToArray(),
                    [Schemas.KernelProfileColumns.Share] = profileRows.Select(r => r.Line.Share).ToArray(),
                }), stdout: context.Stdout);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("the paper's model with RoPE, 20 timed steps on a GPU, fp32 and bf16",
                "pe-train bench --pe rope --device cuda --precision fp32,bf16 --config-label paper"),
            new Example("what each fast path saves: every variant, bf16, on a GPU",
                "pe-train bench --pe rope --device cuda --precision bf16 --fast-paths all,none,no-flat,no-fused-kv,no-fast-rope"),
            new Example("a small model on CPU, two PEs, rows appended to one CSV",
                "for pe in nope alibi; do pe-train bench --pe $pe --d-model 64 --heads 4 --layers 2 --batch-size 16 --steps 3 -q | tail -n +2; done"));
    }

    private sealed record Row(string Impl, string Precision, double TokensPerSecond, double StepMs, double DeviceMemMb, string Note);

    private static string[] List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private const int ProfiledSteps = 3, ProfiledKernels = 60;

    /// <summary>The kernels of <see cref="ProfiledSteps"/> more steps, summarised; none (with a warning) when CUPTI is
    /// missing or refuses: the timing row stands without its profile.</summary>
    private static IReadOnlyList<KernelProfileLine> ProfileSteps(TrainStep step, Tensor x, Tensor y, double lr, Device device, StderrLog log)
    {
        IReadOnlyList<GpuActivity> recorded;
        try
        {
            Synchronize(device);
            using var recorder = CuptiActivity.Start(LibTorchLocator.Active?.Directory);
            for (int i = 0; i < ProfiledSteps; i++) Step(step, x, y, lr);
            Synchronize(device);
            recorded = recorder.Stop();
        }
        catch (InvalidOperationException e)
        {
            log.Warn($"--profile: {e.Message}; this row has no profile");
            return [];
        }
        var lines = KernelProfile.Summarise(recorded, ProfiledSteps, ProfiledKernels);
        log.Info($"  profile: {lines[0].CallsPerStep:F0} kernels, {lines[0].MicrosecondsPerStep / 1000:F2} ms of GPU time per step" +
                 (lines.Count > 1 ? $", {lines[1].MicrosecondsPerStep / 1000:F2} ms idle" : ""));
        return lines;
    }

    /// <summary>What the CUDA graph fast path did, for the note: replayed steps, or why it ran eagerly.</summary>
    private static string GraphUse(TrainStep step) =>
        step.GraphNote is { } why ? "; " + why
        : step.Fast.HasFlag(FastPaths.CudaGraph) && step.GraphUse.Replays > 0 ? $"; {step.GraphUse.Replays} steps replayed from {step.GraphUse.Graphs} CUDA graph(s)"
        : "";

    /// <summary>One training step in its own dispose scope.</summary>
    private static void Step(TrainStep step, Tensor x, Tensor y, double lr)
    {
        using var scope = NewDisposeScope();
        step.Run(x, y, lr);
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
