using System.CommandLine;
using PeTools.Cli;
using PeTools.Cli.Runs;
using PeTools.Core;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Heads.Commands;

/// <summary>
/// The options every model-reading subcommand shares: a trained run and its rows (<see cref="RunOptions"/>, shared with
/// pe-spectrum), plus --layers and --seed, and opening them into an <see cref="AnalysisSession"/>. One instance per
/// command: an Option belongs to one command.
/// </summary>
internal sealed class AnalysisOptions
{
    public readonly RunOptions Run = new(AnalysisData.All,
        $"rows to evaluate: {AnalysisData.All} (the paper's whole-dataset protocol), train, test or any split name", 512);
    public readonly Option<string?> Layers = new("--layers") { Description = "layers to analyse, e.g. 0-2 or 0,3 (default all)", HelpName = "LIST" };
    public readonly Option<long> Seed = CommonOptions.Seed();

    /// <summary>Adds the argument and every option to <paramref name="command"/> (without --layers when it has its own layer option).</summary>
    public T AddTo<T>(T command, bool withLayers = true) where T : Command
    {
        Run.AddTo(command);
        command.Add(Seed);
        if (withLayers) command.Add(Layers);
        return command;
    }

    public StderrLog Log(ToolContext context, ParseResult parse) => Run.Log(context, parse);

    /// <summary>--layers of <paramref name="config"/>'s model (all by default).</summary>
    public IReadOnlyList<int> LayersOf(ParseResult parse, RunConfig config) =>
        LayerList.Parse(parse.GetValue(Layers), config.Model.Layers, "--layers");

    /// <summary>
    /// Checks the run, --layers and --batch-size, starts libtorch, loads the final model (or a snapshot) and the rows.
    /// Errors a user can fix (no run, data that does not fit the model's vocabulary) are one-line PeToolsErrors.
    /// </summary>
    public AnalysisSession Open(ToolContext context, ParseResult parse, long? snapshot = null)
    {
        var config = Run.ReadConfig(parse); // fails fast, before libtorch loads
        var layers = LayersOf(parse, config);
        return new AnalysisSession(Run.Open(context, parse, config, snapshot), layers, new SeedSequence(parse.GetValue(Seed)));
    }

    /// <summary>Writes one table (atomically, or to stdout), with the run's config in the Parquet metadata.</summary>
    public void Write(ToolContext context, ParseResult parse, TableBatch table, RunConfig config) =>
        Run.Write(context, parse, table, config);
}

/// <summary>A loaded run (model and rows) with the layers to analyse and the seeds; disposing frees the run.</summary>
internal sealed record AnalysisSession(RunSession Run, IReadOnlyList<int> Layers, SeedSequence Seeds) : IDisposable
{
    public StderrLog Log => Run.Log;
    public Device Device => Run.Device;
    public Transformer Model => Run.Model;
    public RunConfig Config => Run.Config;
    public SplitTensors Data => Run.Data;
    public int BatchSize => Run.BatchSize;
    public int? IgnoreClass => Config.Train.IgnoreClass;

    public void Dispose() => Run.Dispose();
}
