using System.CommandLine;
using System.Text;
using PeTools.Cli;

namespace PeTools.Cli.Tests;

/// <summary>The outcome of one in-process tool run: exit code, stdout bytes, stderr text.</summary>
public sealed record ToolRun(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public static ToolRun Of(string tool, Func<ToolContext, RootCommand> build, params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var context = new ToolContext(tool, new MemoryStream(), stdout, stderr);
        int rc = ToolApp.Run(context, build(context), args);
        return new ToolRun(rc, stdout.ToArray(), stderr.ToString());
    }
}
