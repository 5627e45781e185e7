using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using static PeTools.Core.Tables.Schemas;

namespace PeTools.GenTask.Commands;

/// <summary><c>pe-gen-task list</c>: the task registry as a table (CSV or Parquet, like every tool output).</summary>
public static class ListCommand
{
    public static Command Create(ToolContext context)
    {
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var cmd = new Command("list", "List the registered tasks: name, content-position dependence, description.")
        {
            output, format,
        };
        cmd.SetAction(parse =>
        {
            var batch = new TableBatch(TaskList, new Dictionary<string, Array>
            {
                [TaskListColumns.Name] = Tasks.All.Select(t => t.Key).ToArray(),
                [TaskListColumns.ContentPosition] = Tasks.All.Select(t => t.Dependence.Describe()).ToArray(),
                [TaskListColumns.Description] = Tasks.All.Select(t => t.Description).ToArray(),
            });
            TableWriter.WriteTable(parse.GetValue(output)!, batch, CommonOptions.FormatOf(parse, format),
                stdout: context.Stdout);
            return 0;
        });
        return cmd.WithExamples(
            new Example("the task table as CSV on stdout", "pe-gen-task list"),
            new Example("only the tasks that need position", "pe-gen-task list | grep ',dependent,'"),
            new Example("the task table as Parquet", "pe-gen-task list -o tasks.parquet"));
    }
}
