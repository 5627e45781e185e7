using System.CommandLine;
using PeTools.Cli;
using PeTools.Cli.Runs;
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
        var o = new RunOptions("test", $"rows to read: test, train, any split name, or {AnalysisData.All}", 16);
        var rows = new Option<int>("--rows") { Description = "sequences to average over (the split's first rows)", DefaultValueFactory = _ => 64, HelpName = "N" };
        var layers = new Option<string?>("--layers") { Description = "layers to read, e.g. 0-5 or 0,3 (default all)", HelpName = "LIST" };

        var cmd = o.AddTo(new Command("logits", "Spectra of a trained run's attention logits per layer and head, averaged over real sequences; content/position parts where the PE allows.")
        {
            rows, layers,
        });
        cmd.SetAction(parse =>
        {
            var config = o.ReadConfig(parse); // fails fast, before libtorch loads
            int count = parse.GetValue(rows) is var r && r > 0 ? r : throw UsageError.Option("--rows", "a positive integer", r);
            var chosen = LayerList.Parse(parse.GetValue(layers), config.Model.Layers, "--layers");
            using var s = o.Open(context, parse, config);
            NumericsProvider.Select();

            bool keys = LogitCapture.CanSplitKeys(config.Model, s.Model.PositionalEncoding);
            s.Log.Info(keys
                ? "parts: key side only, G_{q,kc} + G_{q,kp} (+ B); queries come from LN1(x), not linear in x, so q is not split"
                : $"parts: no key split for {config.Model.Pe} ({config.Model.Arch}, {config.Model.Attention}): keys are not linear in (c, p)");

            var table = new LogitTable(config.Model.Pe, s.Data.Name);
            LogitCapture.Run(s.Model, s.Data, chosen, count, s.BatchSize, withParts: true, table.Add);
            o.Write(context, parse, table.Build(), config, new Dictionary<string, string> { ["pe-spectrum.command"] = "logits" });
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
