using System.CommandLine;
using PeTools.Cli;
using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Heads.Commands;

/// <summary>
/// The options every model-reading subcommand shares (run directory, data, split, device, batch, output), and
/// opening them into an <see cref="AnalysisSession"/>. One instance per command: an Option belongs to one command.
/// </summary>
internal sealed class AnalysisOptions
{
    public readonly Argument<string> Run = new("RUN") { Description = "a pe-train run directory (config.json, model.safetensors)" };
    public readonly Option<string> Data = new("--data", "-d") { Description = "dataset table the model was trained on (.parquet/.csv, - for stdin)", Required = true, HelpName = "FILE" };
    public readonly Option<string> Split = new("--split") { Description = $"rows to evaluate: {AnalysisData.All} (the paper's whole-dataset protocol), train, test or any split name", DefaultValueFactory = _ => AnalysisData.All };
    public readonly Option<string?> Layers = new("--layers") { Description = "layers to analyse, e.g. 0-2 or 0,3 (default all)", HelpName = "LIST" };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "rows per forward pass", DefaultValueFactory = _ => 512 };
    public readonly Option<long> Seed = CommonOptions.Seed();
    public readonly Option<string> Output = CommonOptions.Output();
    public readonly Option<string?> Format = CommonOptions.Format();
    public readonly Option<string> Device = CommonOptions.Device();
    public readonly Option<string?> LibTorch = new("--libtorch") { Description = "libtorch lib folder (default: PE_LIBTORCH, PyTorch via python3, bundled CPU)", HelpName = "DIR" };
    public readonly Option<int> Threads = new("--threads") { Description = "CPU threads for libtorch (0 = its default)", DefaultValueFactory = _ => 0 };
    public readonly Option<bool> Quiet = CommonOptions.Quiet();

    /// <summary>Adds the argument and every option to <paramref name="command"/> (without --layers when it has its own layer option).</summary>
    public T AddTo<T>(T command, bool withLayers = true) where T : Command
    {
        command.Add(Run);
        foreach (var option in new Option[] { Data, Split, BatchSize, Seed, Output, Format, Device, LibTorch, Threads, Quiet })
            command.Add(option);
        if (withLayers) command.Add(Layers);
        return command;
    }

    public StderrLog Log(ToolContext context, ParseResult parse) => new(context, parse.GetValue(Quiet));

    /// <summary>
    /// Checks the run directory and batch size, starts libtorch, loads the final model (or a snapshot) and the rows.
    /// Errors a user can fix (no run, data that does not fit the model's vocabulary) are one-line <see cref="PeToolsError"/>s.
    /// </summary>
    public AnalysisSession Open(ToolContext context, ParseResult parse, long? snapshot = null)
    {
        var log = Log(context, parse);
        var runDir = parse.GetValue(Run)!;
        var config = new RunDirectory(runDir).ReadConfig(); // fails fast, before libtorch loads
        int batch = parse.GetValue(BatchSize) is var b && b > 0 ? b : throw UsageError.Option("--batch-size", "a positive integer", b);
        var device = LibTorchLocator.Initialise(parse.GetValue(Device)!, parse.GetValue(LibTorch), log);
        if (parse.GetValue(Threads) is > 0 and var threads) torch.set_num_threads(threads);
        var layers = LayerList.Parse(parse.GetValue(Layers), config.Model.Layers, "--layers");
        var (model, _) = RunLoader.Load(runDir, device, snapshot);
        try
        {
            var data = LoadData(context, parse, config, device, log);
            return new AnalysisSession(log, device, model, config, data, layers, batch, new SeedSequence(parse.GetValue(Seed)));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public SplitTensors LoadData(ToolContext context, ParseResult parse, RunConfig config, torch.Device device, StderrLog log) =>
        AnalysisData.Load(parse.GetValue(Data)!, config.Model, parse.GetValue(Split)!, device, log,
            CommonOptions.FormatOf(parse, Format), context.Stdin);

    /// <summary>Writes one table (atomically, or to stdout), with the run's config in the Parquet metadata.</summary>
    public void Write(ToolContext context, ParseResult parse, TableBatch table, RunConfig config)
    {
        TableWriter.WriteTable(parse.GetValue(Output)!, table, CommonOptions.FormatOf(parse, Format),
            new Dictionary<string, string> { ["pe_tools.run_config"] = config.ToJson() }, context.Stdout);
    }
}

/// <summary>A loaded model and the rows to evaluate it on; disposing frees both.</summary>
internal sealed record AnalysisSession(StderrLog Log, torch.Device Device, Transformer Model, RunConfig Config, SplitTensors Data,
    IReadOnlyList<int> Layers, int BatchSize, SeedSequence Seeds) : IDisposable
{
    public int? IgnoreClass => Config.Train.IgnoreClass;

    public void Dispose()
    {
        Model.Dispose();
        Data.Dispose();
    }
}
