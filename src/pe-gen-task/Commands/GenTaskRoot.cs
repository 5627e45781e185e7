using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Tasks;

namespace PeTools.GenTask.Commands;

/// <summary>The command tree of pe-gen-task: list, schema, and one subcommand per registered task.</summary>
public static class GenTaskRoot
{
    public const string ToolName = "pe-gen-task";

    public static RootCommand Build(ToolContext context)
    {
        var root = new RootCommand("Generate the synthetic datasets of the positional-encoding experiments " +
                                   "(one row per sequence: split, tokens, target).");
        root.Subcommands.Add(ListCommand.Create(context));
        root.Subcommands.Add(SchemaCommand.Create(context));
        foreach (var task in Tasks.All) root.Subcommands.Add(GenerateCommand.Create(context, task));
        return root.WithExamples(
            new Example("the paper's Task 1 with its defaults, as Parquet", "pe-gen-task distance -o distance.parquet"),
            new Example("which tasks exist, and whether they need position", "pe-gen-task list"),
            new Example("a small count dataset as CSV on stdout", "pe-gen-task count --n-train 100 --n-test 20 -q | head -3"));
    }
}
