using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;
using Col = PeTools.Core.Tables.Schemas.PredictionColumns;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Train.Commands;

/// <summary>
/// <c>pe-train predict RUN --data D</c>: a trained run's predictions on the first rows of one split, in eval mode, as a
/// table, and optionally the exact model inputs and outputs as safetensors (tokens, logits, targets), so another
/// implementation (examples/load_checkpoint.py) can be checked against pe-train on the same weights.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(ToolContext context)
    {
        var run = new Argument<string>("RUN") { Description = "run directory of pe-train (config.json, model.safetensors)" };
        var data = new Option<string>("--data", "-d") { Description = "dataset table (.parquet/.csv, - for stdin)", Required = true, HelpName = "FILE" };
        var split = new Option<string>("--split") { Description = "which split to predict", DefaultValueFactory = _ => "test" };
        var rows = new Option<int>("--rows") { Description = "predict the first N rows of the split (fewer if it is shorter)", DefaultValueFactory = _ => 256, HelpName = "N" };
        var logits = new Option<string?>("--logits") { Description = "also write tokens (N,T) int64, logits (N,C) float32, targets (N) int64 as safetensors", HelpName = "FILE" };
        var batchSize = new Option<int?>("--batch-size") { Description = "rows per forward pass (default: the run's training batch size, as its evaluation)" };
        var output = CommonOptions.Output("predictions table (.csv or .parquet), - for stdout");
        var format = CommonOptions.Format();
        var device = CommonOptions.Device();
        var libTorch = CommonOptions.LibTorch();
        var quiet = CommonOptions.Quiet();
        var command = new Command("predict", "Predict with a trained run on the first rows of a split: a table, and the logits as safetensors.")
        {
            run, data, split, rows, logits, batchSize, output, format, device, libTorch, quiet,
        };
        command.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            int n = parse.GetValue(rows) is var r && r > 0 ? r : throw UsageError.Option("--rows", "a positive integer", r);
            var dev = LibTorchLocator.Initialise(parse.GetValue(device)!, parse.GetValue(libTorch), log);
            var (model, config) = RunLoader.Load(parse.GetValue(run)!, dev);
            using var _ = model;
            var m = config.Model;
            // Padded exactly as pe-train padded the split when it evaluated it (TrainCommand), so accuracies agree.
            var splits = DatasetTensors.Load(parse.GetValue(data)!, m.Vocab, m.Classes, m.PadId,
                longest => m.Arch == Architecture.Reference ? Math.Max(m.MaxLen, longest) : longest,
                dev, CommonOptions.FormatOf(parse, format), context.Stdin);
            try
            {
                var name = parse.GetValue(split)!;
                if (!splits.TryGetValue(name, out var chosen))
                    throw UsageError.Option("--split", $"one of {string.Join(", ", splits.Keys)}", name);
                int batch = parse.GetValue(batchSize) ?? config.Train.BatchSize;
                if (batch <= 0) throw UsageError.Option("--batch-size", "a positive integer", batch);
                var p = Predict(model, chosen, (int)Math.Min(n, chosen.Count), batch);
                log.Info($"{name}: {p.Targets.Length} rows, accuracy {p.Correct.Average():F4} ({m.Pe} / {m.Arch} / {m.Attention})");
                if (parse.GetValue(logits) is { } path) WriteSafeTensors(path, p, config, name, dev);
                WriteTable(parse.GetValue(output)!, CommonOptions.FormatOf(parse, format), context.Stdout, name, p);
                return ExitCode.Ok;
            }
            finally
            {
                foreach (var s in splits.Values) s.Dispose();
            }
        });
        return command.WithExamples(
            new Example("predictions of a run on the first 256 test rows, as CSV",
                "pe-train predict runs/rope-dist --data dist.parquet -o preds.csv"),
            new Example("accuracy over the whole test split from the table",
                "pe-train predict runs/rope-dist --data dist.parquet --rows 1000000 | awk -F, 'NR>1{c+=$5;n++} END{print c/n}'"),
            new Example("logits for a check against the PyTorch port of the model",
                "pe-train predict runs/rope-dist --data dist.parquet --logits pred.safetensors -o preds.csv && python3 examples/load_checkpoint.py runs/rope-dist pred.safetensors"));
    }

    /// <summary>Host copies of one prediction pass: tokens (N·T, row-major), logits (N·C), per-row results.</summary>
    private sealed record Predictions(long[] Tokens, long Length, float[] Logits, int Classes, long[] Targets,
        int[] Predicted, int[] Correct, double[] Loss);

    private static Predictions Predict(Transformer model, SplitTensors split, int n, int batchSize)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var tokens = split.Tokens.narrow(0, 0, n);   // (N, T), exactly what the model sees
        var targets = split.Targets.narrow(0, 0, n); // (N)
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += batchSize)
            parts.Add(model.call(tokens.narrow(0, start, Math.Min(batchSize, n - start))).to(ScalarType.Float32)); // (b, C)
        var logits = cat(parts, 0);                                                           // (N, C)
        var loss = F.cross_entropy(logits, targets, reduction: nn.Reduction.None);            // (N)
        var predicted = logits.argmax(-1);                                                     // (N)
        var correct = predicted.eq(targets);                                                   // (N)
        return new Predictions(
            tokens.cpu().data<long>().ToArray(), split.Length,
            logits.cpu().data<float>().ToArray(), (int)logits.shape[1],
            targets.cpu().data<long>().ToArray(),
            predicted.to(ScalarType.Int32).cpu().data<int>().ToArray(),
            correct.to(ScalarType.Int32).cpu().data<int>().ToArray(),
            loss.to(ScalarType.Float64).cpu().data<double>().ToArray());
    }

    private static void WriteSafeTensors(string path, Predictions p, RunConfig config, string split, Device device)
    {
        long n = p.Targets.Length;
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["tokens"] = tensor(p.Tokens, [n, p.Length], dtype: ScalarType.Int64),
            ["logits"] = tensor(p.Logits, [n, p.Classes], dtype: ScalarType.Float32),
            ["targets"] = tensor(p.Targets, [n], dtype: ScalarType.Int64),
        };
        // The device is recorded because fp32 kernels differ across devices: compare on the same one.
        SafeTensors.Save(path, tensors, new Dictionary<string, string>
        {
            ["config"] = config.ToJson(),
            ["split"] = split,
            ["device"] = device.ToString(),
        });
    }

    private static void WriteTable(string path, TableFormat? format, Stream stdout, string split, Predictions p)
    {
        int n = p.Targets.Length;
        TableWriter.WriteTable(path, new TableBatch(Schemas.Predictions, new Dictionary<string, Array>
        {
            [Col.Row] = Enumerable.Range(0, n).Select(i => (long)i).ToArray(),
            [Col.Split] = Enumerable.Repeat(split, n).ToArray(),
            [Col.Target] = p.Targets.Select(t => (int)t).ToArray(),
            [Col.Predicted] = p.Predicted,
            [Col.Correct] = p.Correct,
            [Col.Loss] = p.Loss,
        }), format, stdout: stdout);
    }
}
