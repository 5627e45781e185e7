using System.CommandLine;
using PeTools.Cli;
using PeTools.Spectrum.Commands;

namespace PeTools.Spectrum;

public static class Program
{
    public const string ToolName = "pe-spectrum";

    public static int Main(string[] args) => ToolApp.Run(ToolName, BuildRoot, args);

    /// <summary>The command tree; tests build it over in-memory streams.</summary>
    public static RootCommand BuildRoot(ToolContext context)
    {
        var root = new RootCommand("Spectra of positional-encoding kernels and attention logits (paper.md §4.1, claims C19–C20).");
        root.Subcommands.Add(TheoryCommand.Create(context));
        root.Subcommands.Add(ContractionCommand.Create(context));
        root.Subcommands.Add(LogitsCommand.Create(context));
        root.Subcommands.Add(HessianCommand.Create(context));
        return root;
    }
}
