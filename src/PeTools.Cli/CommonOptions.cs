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

    public static Option<bool> Quiet() =>
        new("--quiet", "-q") { Description = "no progress or log lines on stderr" };

    /// <summary>The --format value of a parse, as a <see cref="TableFormat"/> (null when absent).</summary>
    public static TableFormat? FormatOf(ParseResult parse, Option<string?> format) =>
        parse.GetValue(format) is { } text ? TableFormats.Parse(text) : null;
}
