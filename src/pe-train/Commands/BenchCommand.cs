using System.CommandLine;
using System.Diagnostics;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using Col = PeTools.Core.Tables.Schemas.BenchmarkColumns;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Train.Commands;

/// <summary>
/// <c>pe-train bench</c>: training throughput of the model that the same options would train, on one random batch
/// kept on the device (so data loading is not measured). Each step is the Trainer's: forward, cross-entropy, backward,
/// AdamW. The timed loop never reads back to the host; the device is synchronised once before and once after it, so
/// the step time is the mean over the loop. Writes one row of the <c>benchmark</c> table (bench/train/run.sh reads it
/// beside bench/train/torch_bench.py's rows for the same model in PyTorch).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new TrainOptions();
        var seqLen = new Option<int?>("--seq-len") { Description = "tokens per sequence (default: --max-len)", HelpName = "T" };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first (allocator, cuBLAS and kernel warm-up)", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 20 };
        var label = new Option<string>("--config-label") { Description = "the config column of the row (a name for the model size)", DefaultValueFactory = _ => "custom" };
        var output = CommonOptions.Output("benchmark table (.csv or .parquet), - for stdout");
        var format = CommonOptions.Format();
        var command = new Command("bench", "Time training steps of the model the options describe, on a random batch; one benchmark row out.");
        foreach (var option in o.ForBench) command.Add(option);
        foreach (var option in new Option[] { seqLen, warmup, steps, label, output, format }) command.Add(option);
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
            var device = LibTorchLocator.Initialise(parse.GetValue(o.Device)!, parse.GetValue(o.LibTorch), log);
            if (parse.GetValue(o.Threads) is > 0 and var threads) set_num_threads(threads);

            manual_seed(parse.GetValue(o.Seed));
            using var net = new Transformer(model);
            net.to(device);
            net.train(); // dropout on, as in training
            var train = new TrainConfig
            {
                Beta1 = TrainOptions.Probability(parse, o.Beta1),
                Beta2 = TrainOptions.Probability(parse, o.Beta2),
                WeightDecay = parse.GetValue(o.WeightDecay),
                IgnoreClass = null,
            };
            using var optimizer = new TrainStep(net, train, device);
            using var x = randint(1, model.Vocab, [batch, t], dtype: ScalarType.Int64, device: device);   // (B, T), no padding
            using var y = randint(0, model.Classes, [batch], dtype: ScalarType.Int64, device: device);     // (B)
            double lr = parse.GetValue(o.Lr);
            var pe = model.Pe + (model.Attention == AttentionKind.Mla ? "/mla" : "");
            log.Info($"{pe} / {model.Arch}: {net.parameters().Sum(p => p.numel()):N0} parameters, batch {batch} x {t}, " +
                     $"{warm} warm-up + {timed} timed steps on {device}");

            for (int i = 0; i < warm; i++) Step(net, optimizer, x, y, lr);
            Synchronize(device);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < timed; i++) Step(net, optimizer, x, y, lr);
            Synchronize(device);
            double stepMs = clock.Elapsed.TotalMilliseconds / timed;

            using var w2 = TableWriter.Create(parse.GetValue(output)!, Schemas.Benchmark, CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            w2.Write(new TableBatch(Schemas.Benchmark, new Dictionary<string, Array>
            {
                [Col.Impl] = new[] { "pe-train" },
                [Col.Precision] = new[] { "fp32" },
                [Col.Pe] = new[] { pe },
                [Col.Config] = new[] { parse.GetValue(label)! },
                [Col.TokensPerSecond] = new[] { (double)batch * t / (stepMs / 1000) },
                [Col.StepMs] = new[] { stepMs },
                // TorchSharp exposes no CUDA allocator statistics (no max_memory_allocated), so peak memory is unknown.
                [Col.PeakMemMb] = new[] { double.NaN },
                [Col.Note] = new[] { $"mean of {timed} steps after {warm} warm-up; one sync per end; {device}" },
            }));
            w2.Commit();
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("the paper's model with RoPE, 20 timed steps on a GPU",
                "pe-train bench --pe rope --device cuda --config-label paper"),
            new Example("a small model on CPU, two PEs, rows appended to one CSV",
                "for pe in nope alibi; do pe-train bench --pe $pe --d-model 64 --heads 4 --layers 2 --batch-size 16 --steps 3 -q | tail -n +2; done"));
    }

    /// <summary>One training step, as the Trainer's (no clipping, constant learning rate).</summary>
    private static void Step(Transformer net, TrainStep step, Tensor x, Tensor y, double lr)
    {
        using var scope = NewDisposeScope();
        step.Run(x, y, lr);
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
