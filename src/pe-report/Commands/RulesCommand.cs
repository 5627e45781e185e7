using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Report.Claims;
using R = PeTools.Core.Tables.Schemas.ClaimRuleColumns;

namespace PeTools.ReportTool.Commands;

/// <summary><c>pe-report rules</c>: the rule vocabulary of claims files, as a table.</summary>
internal static class RulesCommand
{
    public static Command Create(ToolContext context)
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var command = new Command("rules",
            "List the rules a claims file (--claims) can use. Keys: task (distance, count, ...), pe/a/b (PE variants as the " +
            "report names them: rope, rope/mla, rope:k2, ...), layers (first, second, last, shallow, deep, all, N or A-B, 0-based). " +
            "Join rules with ' & ' to require all; 'none' marks a claim our tables cannot test.") { output, format };
        command.SetAction(parse =>
        {
            var t = new TableBatchBuilder(Schemas.ClaimRules);
            foreach (var k in ClaimRules.All) t.Add((R.Name, k.Name), (R.Usage, k.Usage), (R.Description, k.Description));
            TableWriter.WriteTable(parse.GetValue(output)!, t.Build(), CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("every rule with its keys", "pe-report rules"),
            new Example("just the names", "pe-report rules | cut -d, -f1"));
    }
}
