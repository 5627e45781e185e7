using System.CommandLine;
using PeTools.Core.Tables;

namespace PeTools.Cli;

/// <summary>
/// The options every tool spells the same way. Each call returns a fresh Option (an Option belongs to one command).
/// </summary>
public static class CommonOptions
{
    public static Option<string> Input(string description = "input table (.csv or .parquet), - for stdin") =>
        new("--input", "-i") { Description = description, Required = true, HelpName = "FILE" };

    public static Option<string> Output(string description = "output table (.csv or .parquet), - for stdout") =>
        new("--output", "-o") { Description = description, DefaultValueFactory = _ => TableFormats.StdStream, HelpName = "FILE" };

    public static Option<string?> Format() =>
        new("--format") { Description = "table format for - (stdin/stdout): csv or parquet", HelpName = "csv|parquet" };

    public static Option<long> Seed(long defaultSeed = 0) =>
        new("--seed") { Description = "seed for every random choice; same seed, same bytes", DefaultValueFactory = _ => defaultSeed };

    public static Option<string> Device() =>
        new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };

    /// <summary>Where libtorch is (read by PeTools.Torch's LibTorchLocator; this project itself never loads it).</summary>
    public static Option<string?> LibTorch() =>
        new("--libtorch") { Description = "libtorch lib folder (default: PE_LIBTORCH, PyTorch via python3, bundled CPU)", HelpName = "DIR" };

    public static Option<int> Threads() =>
        new("--threads") { Description = "CPU threads for libtorch (0 = its default)", DefaultValueFactory = _ => 0 };

    public static Option<bool> Quiet() =>
        new("--quiet", "-q") { Description = "no progress or log lines on stderr" };

    /// <summary>The --format value of a parse, as a <see cref="TableFormat"/> (null when absent).</summary>
    public static TableFormat? FormatOf(ParseResult parse, Option<string?> format) =>
        parse.GetValue(format) is { } text ? TableFormats.Parse(text) : null;
}
