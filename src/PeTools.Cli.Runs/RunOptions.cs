using System.CommandLine;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Cli.Runs;

/// <summary>
/// The argument and options of every command that reads a trained pe-train run (RUN, --data, --split, --batch-size,
/// -o, --format, --device, --libtorch, --threads, -q), and opening them in the one safe order: the run's config first
/// (a wrong RUN fails before libtorch loads), then libtorch and the device, then the weights and the rows. Commands
/// differ only in their defaults. One instance per command: an Option belongs to one command.
/// </summary>
public sealed class RunOptions(string splitDefault, string splitDescription, int batchDefault, string batchDescription = "rows per forward pass")
{
    public readonly Argument<string> Run = new("RUN") { Description = "a pe-train run directory (config.json, model.safetensors)" };
    public readonly Option<string> Data = new("--data", "-d") { Description = "dataset table the model was trained on (.parquet/.csv, - for stdin)", Required = true, HelpName = "FILE" };
    public readonly Option<string> Split = new("--split") { Description = splitDescription, DefaultValueFactory = _ => splitDefault };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = batchDescription, DefaultValueFactory = _ => batchDefault };
    public readonly Option<string> Output = CommonOptions.Output();
    public readonly Option<string?> Format = CommonOptions.Format();
    public readonly Option<string> Device = CommonOptions.Device();
    public readonly Option<string?> LibTorch = CommonOptions.LibTorch();
    public readonly Option<int> Threads = CommonOptions.Threads();
    public readonly Option<bool> Quiet = CommonOptions.Quiet();

    /// <summary>Adds the argument and every option to <paramref name="command"/>.</summary>
    public T AddTo<T>(T command) where T : Command
    {
        command.Add(Run);
        foreach (var option in new Option[] { Data, Split, BatchSize, Output, Format, Device, LibTorch, Threads, Quiet })
            command.Add(option);
        return command;
    }

    public StderrLog Log(ToolContext context, ParseResult parse) => new(context, parse.GetValue(Quiet));

    /// <summary>The run's config.json: an <see cref="InputError"/> for a missing or broken run, before libtorch loads.</summary>
    public RunConfig ReadConfig(ParseResult parse) => new RunDirectory(parse.GetValue(Run)!).ReadConfig();

    public RunDirectory RunDirectory(ParseResult parse) => new(parse.GetValue(Run)!);

    /// <summary>--batch-size, checked positive.</summary>
    public int BatchSizeOf(ParseResult parse) =>
        parse.GetValue(BatchSize) is var b && b > 0 ? b : throw UsageError.Option("--batch-size", "a positive integer", b);

    /// <summary>Binds libtorch (--libtorch), sets --threads and returns the --device.</summary>
    public Device StartTorch(ParseResult parse, IRunLog log) =>
        LibTorchLocator.Initialise(parse.GetValue(Device)!, parse.GetValue(LibTorch), log, parse.GetValue(Threads));

    /// <summary>The --split rows of --data, padded as pe-train padded them for this model, on <paramref name="device"/>.</summary>
    public SplitTensors LoadData(ToolContext context, ParseResult parse, RunConfig config, Device device, IRunLog log) =>
        AnalysisData.Load(parse.GetValue(Data)!, config.Model, parse.GetValue(Split)!, device, log,
            CommonOptions.FormatOf(parse, Format), context.Stdin);

    /// <summary>
    /// Checks --batch-size, starts libtorch, loads the run's final model (or snapshot <paramref name="snapshot"/>) in eval
    /// mode and the rows. <paramref name="config"/> is the run's, read (and checked against other options) by the caller.
    /// </summary>
    public RunSession Open(ToolContext context, ParseResult parse, RunConfig config, long? snapshot = null)
    {
        var log = Log(context, parse);
        int batch = BatchSizeOf(parse);
        var device = StartTorch(parse, log);
        var (model, _) = RunLoader.Load(parse.GetValue(Run)!, device, snapshot);
        try
        {
            return new RunSession(log, device, model, config, LoadData(context, parse, config, device, log), batch);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Writes one table (atomically, or to stdout), with the run's config and <paramref name="metadata"/> in the Parquet metadata.</summary>
    public void Write(ToolContext context, ParseResult parse, TableBatch table, RunConfig config,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var all = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["pe_tools.run_config"] = config.ToJson() };
        TableWriter.WriteTable(parse.GetValue(Output)!, table, CommonOptions.FormatOf(parse, Format), all, context.Stdout);
    }
}

/// <summary>A loaded model and the rows to evaluate it on; disposing frees both.</summary>
public sealed record RunSession(StderrLog Log, Device Device, Transformer Model, RunConfig Config, SplitTensors Data, int BatchSize)
    : IDisposable
{
    public void Dispose()
    {
        Model.Dispose();
        Data.Dispose();
    }
}
