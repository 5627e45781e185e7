using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Positional;

namespace PeTools.Train.Commands;

/// <summary><c>pe-train list-pe</c>: the PE registry as a table (key, coupling, description).</summary>
internal static class ListPeCommand
{
    public static Command Create(ToolContext context)
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var command = new Command("list-pe", "List the positional encodings --pe accepts, with their coupling.") { output, format };
        command.SetAction(parse =>
        {
            var rows = PositionalEncodings.All;
            using var w = TableWriter.Create(parse.GetValue(output)!, Schemas.PositionalEncodings,
                CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            w.Write(new TableBatch(Schemas.PositionalEncodings, new Dictionary<string, Array>
            {
                [Schemas.PositionalEncodingColumns.Key] = rows.Select(r => r.Key).ToArray(),
                [Schemas.PositionalEncodingColumns.Coupling] = rows.Select(r => r.Coupling.ToString().ToLowerInvariant()).ToArray(),
                [Schemas.PositionalEncodingColumns.Description] = rows.Select(r => r.Description).ToArray(),
            }));
            w.Commit();
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("list every positional encoding", "pe-train list-pe"),
            new Example("only the multiplicative ones", "pe-train list-pe | grep multiplicative"));
    }
}
