using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Spectral;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;
using C = PeTools.Core.Tables.Schemas.LogitSpectrumColumns;

namespace PeTools.Spectrum.Commands;

/// <summary>
/// pe-spectrum logits: per (layer, head), the spectra of a trained model's attention logits on real sequences
/// (each restricted to its non-padding positions), averaged over the sequences, with the content/position parts
/// where the PE allows them (paper.md §2). The only pe-spectrum command that loads libtorch.
/// </summary>
internal static class LogitsCommand
{
    public const string TrainedLogit = "trained-logit";
    public const string PartPrefix = "logit-part:";
    public const string ReconstructionError = "reconstruction_error";

    public static Command Create(ToolContext context)
    {
        var run = new Argument<string>("RUN") { Description = "a pe-train run directory (config.json, model.safetensors)" };
        var data = new Option<string>("--data", "-d") { Description = "dataset table the model was trained on (.parquet/.csv, - for stdin)", Required = true, HelpName = "FILE" };
        var split = new Option<string>("--split") { Description = $"rows to read: test, train, any split name, or {AnalysisData.All}", DefaultValueFactory = _ => "test" };
        var rows = new Option<int>("--rows") { Description = "sequences to average over (the split's first rows)", DefaultValueFactory = _ => 64, HelpName = "N" };
        var layers = new Option<string?>("--layers") { Description = "layers to read, e.g. 0-5 or 0,3 (default all)", HelpName = "LIST" };
        var batch = new Option<int>("--batch-size") { Description = "rows per forward pass", DefaultValueFactory = _ => 16 };
        var device = CommonOptions.Device();
        var libtorch = new Option<string?>("--libtorch") { Description = "libtorch lib folder (default: PE_LIBTORCH, PyTorch via python3, bundled CPU)", HelpName = "DIR" };
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();

        var cmd = new Command("logits", "Spectra of a trained run's attention logits per layer and head, averaged over real sequences; content/position parts where the PE allows.")
        {
            run, data, split, rows, layers, batch, device, libtorch, output, format, quiet,
        };
        cmd.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            string runDir = parse.GetValue(run)!;
            var config = new RunDirectory(runDir).ReadConfig(); // fails fast, before libtorch loads
            int count = parse.GetValue(rows) is var r && r > 0 ? r : throw UsageError.Option("--rows", "a positive integer", r);
            int batchSize = parse.GetValue(batch) is var b && b > 0 ? b : throw UsageError.Option("--batch-size", "a positive integer", b);
            var chosen = LayerList.Parse(parse.GetValue(layers), config.Model.Layers, "--layers");
            var tableFormat = CommonOptions.FormatOf(parse, format);
            var dev = LibTorchLocator.Initialise(parse.GetValue(device)!, parse.GetValue(libtorch), log);
            NumericsProvider.Select();

            var (model, _) = RunLoader.Load(runDir, dev);
            using var _model = model;
            using var tensors = AnalysisData.Load(parse.GetValue(data)!, config.Model, parse.GetValue(split)!, dev, log, tableFormat, context.Stdin);
            bool keys = LogitCapture.CanSplitKeys(config.Model, model.PositionalEncoding);
            log.Info(keys
                ? "parts: key side only, G_{q,kc} + G_{q,kp} (+ B); queries come from LN1(x), not linear in x, so q is not split"
                : $"parts: no key split for {config.Model.Pe} ({config.Model.Arch}, {config.Model.Attention}): keys are not linear in (c, p)");

            var table = new LogitTable(config.Model.Pe, tensors.Name);
            LogitCapture.Run(model, tensors, chosen, count, batchSize, withParts: true, table.Add);
            TableWriter.WriteTable(parse.GetValue(output)!, table.Build(), tableFormat,
                new Dictionary<string, string> { ["pe_tools.run_config"] = config.ToJson(), ["pe-spectrum.command"] = "logits" }, context.Stdout);
            return ExitCode.Ok;
        });
        return cmd.WithExamples(
            new Example("logit spectra of every layer and head on 64 test sequences", "pe-spectrum logits runs/alibi --data dist.parquet -o -"),
            new Example("how Toeplitz the first two layers' logits are", "pe-spectrum logits runs/rope --data dist.parquet --layers 0-1 -o - | grep toeplitz_share"));
    }
}

/// <summary>Per (layer, head, matrix, quantity): the mean and std over sequences of each measured quantity.</summary>
internal sealed class LogitTable(string pe, string split)
{
    private readonly MeanAccumulator<(int Layer, int Head, string Matrix, string Quantity)> _stats = new();

    public void Add(LogitSample s)
    {
        foreach (var (q, v) in LogitMatrixStats.Measure(s.Logit))
            _stats.Add((s.Layer, s.Head, LogitsCommand.TrainedLogit, q), v);
        if (s.Parts.Count == 0) return;
        var sum = new double[s.Logit.GetLength(0), s.Logit.GetLength(1)];
        foreach (var (name, part) in s.Parts)
        {
            string matrix = LogitsCommand.PartPrefix + name;
            _stats.Add((s.Layer, s.Head, matrix, LogitMatrixStats.FrobeniusShare), LogitMatrixStats.EnergyShare(part, s.Logit));
            _stats.Add((s.Layer, s.Head, matrix, LogitMatrixStats.ToeplitzShareName), LogitMatrixStats.ToeplitzShare(part));
            for (int i = 0; i < sum.GetLength(0); i++)
                for (int j = 0; j < sum.GetLength(1); j++) sum[i, j] += part[i, j];
        }
        // ‖L − Σ parts‖_F / ‖L‖_F: ~1e-7 (float32) when the parts account for the whole logit.
        for (int i = 0; i < sum.GetLength(0); i++)
            for (int j = 0; j < sum.GetLength(1); j++) sum[i, j] -= s.Logit[i, j];
        _stats.Add((s.Layer, s.Head, LogitsCommand.PartPrefix + "sum", LogitsCommand.ReconstructionError),
            Math.Sqrt(LogitMatrixStats.EnergyShare(sum, s.Logit)));
    }

    public TableBatch Build()
    {
        var b = new TableBatchBuilder(Schemas.LogitSpectrum);
        foreach (var ((layer, head, matrix, quantity), n, mean, std) in _stats.Results()
                     .OrderBy(x => x.Key.Layer).ThenBy(x => x.Key.Head))
            b.Add((C.Pe, pe), (C.Layer, layer), (C.Head, head), (C.Split, split), (C.Sequences, n), (C.Matrix, matrix),
                (C.Quantity, quantity), (C.Mean, mean), (C.Std, std));
        return b.Build();
    }
}
