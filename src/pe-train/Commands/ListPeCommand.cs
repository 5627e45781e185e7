using System.CommandLine;
using PeTools.Cli;

namespace PeTools.Train.Commands;

/// <summary>PLACEHOLDER until the PE registry lands.</summary>
internal static class ListPeCommand
{
    public static Command Create(ToolContext context) => new("list-pe", "list positional encodings");
}
