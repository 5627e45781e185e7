using System.CommandLine;
using PeTools.Cli;
using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;

namespace PeTools.Train.Commands;

/// <summary><c>pe-train --data D --pe P --out DIR</c>: train one model, resumably, and write its metrics table.</summary>
internal static class TrainCommand
{
    public static RootCommand Create(ToolContext context)
    {
        var o = new TrainOptions();
        var root = new RootCommand("Train a Transformer with a chosen positional encoding on a pe-gen-task dataset.");
        foreach (var option in o.All) root.Add(option);
        root.Add(FastPathsOption);
        root.SetAction(parse => Run(context, o, parse));
        return root.WithExamples(
            new Example("train the paper's reference model with RoPE on the distance task, on CPU, 2 epochs",
                "pe-gen-task distance --n-train 2000 --n-test 500 -o dist.parquet && pe-train --data dist.parquet --pe rope --epochs 2 --out runs/rope-dist"),
            new Example("a small standard (pre-LN, masked) model with ALiBi, metrics to stdout",
                "pe-train --data dist.parquet --pe alibi-std --arch standard --d-model 64 --heads 4 --layers 2 --epochs 1 --out runs/alibi --metrics - | head"),
            new Example("continue an interrupted run exactly where its last checkpoint left it",
                "pe-train --data dist.parquet --pe rope --epochs 2 --out runs/rope-dist --resume"),
            new Example("on a GPU, using the libtorch of an installed PyTorch",
                "pe-train --data dist.parquet --pe rope --device cuda --out runs/rope-gpu"));
    }

    /// <summary>A/B one fast path in a real run (accuracy, not only speed); they change rounding, never the maths, so
    /// they are not part of the run's config and a resumed run may use another.</summary>
    private static readonly Option<string> FastPathsOption = new("--fast-paths")
    {
        Description = "the fast paths to train with, one of pe-train bench's variants: all (the default), none (every slow " +
                      "oracle), no-X (all but X), ...; see pe-train bench --help",
        DefaultValueFactory = _ => "all",
        HelpName = "VARIANT",
    };

    private static int Run(ToolContext context, TrainOptions o, ParseResult parse)
    {
        var log = new StderrLog(context, parse.GetValue(o.Quiet));
        var fastName = parse.GetValue(FastPathsOption)!;
        var fast = FastPathVariants.Parse(fastName);
        var model = o.Model(parse);
        model.Validate(); // bad sizes and unknown PEs fail before any data is read
        PeTools.Torch.Positional.PositionalEncodings.Find(model.Pe);
        var dataPath = parse.GetValue(o.Data)!;
        var run = new RunDirectory(parse.GetValue(o.Out)!);
        bool resume = parse.GetValue(o.Resume);
        var saved = resume && File.Exists(run.ConfigPath) ? run.ReadConfig().Train : null;
        var train = o.Train(parse) with { BucketWindow = o.BucketWindowFor(parse, model.Arch, saved) };
        var config = new RunConfig(model, train, dataPath);
        CheckRunDirectory(run, config, resume);
        var probing = o.Probing(parse, run);

        var device = LibTorchLocator.Initialise(parse.GetValue(o.Device)!, parse.GetValue(o.LibTorch), log, parse.GetValue(o.Threads));
        if (device.type == DeviceType.CUDA) log.Info(CudaKernels.Status(device));
        if (fast != FastPaths.Default) log.Info($"fast paths: {fastName} ({fast})");

        var data = DatasetTensors.Load(dataPath, model.Vocab, model.Classes, model.PadId,
            longest => model.Arch == Architecture.Reference ? Math.Max(model.MaxLen, longest) : longest,
            device, CommonOptions.FormatOf(parse, o.Format), context.Stdin);
        try
        {
            var seeds = new SeedSequence(train.Seed);
            torch.manual_seed(seeds.For("init"));
            using var net = new Transformer(model);
            net.to(device);
            log.Info($"{model.Pe} / {model.Arch} / {model.Attention}: {net.parameters().Sum(p => p.numel()):N0} parameters, " +
                     $"{data[DatasetTensors.TrainSplit].Count} training rows, device {device}");
            run.WriteConfig(config);

            var metricsPath = parse.GetValue(o.Metrics) ?? Path.Combine(run.Root, "metrics.parquet");
            var metadata = new Dictionary<string, string> { ["pe_tools.run_config"] = config.ToJson() };
            using var probes = probing.Every > 0 ? new Probes(net, data[DatasetTensors.TrainSplit], probing.Rows, train.IgnoreClass) : null;
            long totalSteps = (data[DatasetTensors.TrainSplit].Count + train.BatchSize - 1) / train.BatchSize * train.Epochs;
            var recorder = probes is null ? null : new ProbeRecorder(probes, probing.Every, totalSteps, probing.Path, metadata);
            var trainer = new Trainer(net, config, run, data, device, log)
            {
                Fast = fast,
                StepCompleted = recorder is null ? null : recorder.OnStep,
                // Files are rewritten (atomically) after every epoch so an interrupted run still has its curves.
                EpochCompleted = rows =>
                {
                    if (metricsPath != TableFormats.StdStream) MetricRow.Write(metricsPath, rows, metadata: metadata);
                },
            };
            var state = trainer.Run(resume);
            if (metricsPath == TableFormats.StdStream)
                MetricRow.Write(metricsPath, state.Metrics, TableFormat.Csv, metadata, context.Stdout);
            return ExitCode.Ok;
        }
        finally
        {
            foreach (var split in data.Values) split.Dispose();
        }
    }

    /// <summary>Refuses to mix runs: a fresh run needs an empty --out; --resume needs the same experiment.</summary>
    private static void CheckRunDirectory(RunDirectory run, RunConfig config, bool resume)
    {
        bool exists = File.Exists(run.ConfigPath);
        if (!resume && exists)
            throw new UsageError($"--out {run.Root}: a run is already there; pass --resume to continue it or choose another --out");
        if (resume && exists && !config.SameExperimentAs(run.ReadConfig()))
            throw new UsageError($"--resume {run.Root}: the options differ from the saved run's config.json; resume with the same options");
    }
}
