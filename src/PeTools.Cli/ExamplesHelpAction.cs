using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace PeTools.Cli;

/// <summary>One runnable example in a command's help: what it does, and the command line.</summary>
public sealed record Example(string What, string CommandLine);

/// <summary>
/// Wraps System.CommandLine's <see cref="HelpAction"/> so every <c>--help</c> ends with an "Examples:" section
/// (qsv style). Examples are attached with <see cref="ExampleRegistry.WithExamples"/>; an end-to-end test runs them.
/// </summary>
public sealed class ExamplesHelpAction(HelpAction inner) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var rc = inner.Invoke(parseResult);
        var examples = ExampleRegistry.For(parseResult.CommandResult.Command);
        if (examples.Count > 0)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (var e in examples)
            {
                output.WriteLine($"  # {e.What}");
                output.WriteLine($"  {e.CommandLine}");
                output.WriteLine();
            }
        }
        return rc;
    }

    /// <summary>Replaces the help action of every HelpOption reachable from <paramref name="root"/> (idempotent).</summary>
    internal static void Install(Command root)
    {
        foreach (var option in root.Options.OfType<HelpOption>())
            if (option.Action is HelpAction help)
                option.Action = new ExamplesHelpAction(help);
    }
}

public static class ExampleRegistry
{
    private static readonly ConditionalWeakTable<Command, List<Example>> Examples = new();

    public static T WithExamples<T>(this T command, params Example[] examples) where T : Command
    {
        Examples.GetOrCreateValue(command).AddRange(examples);
        return command;
    }

    public static IReadOnlyList<Example> For(Command command) =>
        Examples.TryGetValue(command, out var list) ? list : [];

    /// <summary>Every example of <paramref name="root"/> and its subcommands (for the end-to-end test).</summary>
    public static IEnumerable<Example> All(Command root) =>
        For(root).Concat(root.Subcommands.SelectMany(All));
}
