using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using PeTools.Core.Errors;
using PeTools.Core.Tables;

namespace PeTools.Cli;

/// <summary>
/// The one place exit codes are decided (STYLE.md §8): parse → invoke → exit code, and the only top-level catch.
/// Replaces System.CommandLine's defaults (exit 1 plus a help dump on a typo, a stack trace on an exception).
/// </summary>
public static class ToolApp
{
    public const string DebugVariable = "PE_TOOLS_DEBUG";

    /// <summary>Runs a tool from Program.cs with the real console.</summary>
    public static int Run(string toolName, Func<ToolContext, RootCommand> build, string[] args)
    {
        var context = ToolContext.ForConsole(toolName);
        // Ctrl-C / SIGTERM: remove half-written outputs, then let the default handling end the process (exit 130).
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => AtomicFile.DeleteAllPending());
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => AtomicFile.DeleteAllPending());
        return Run(context, build(context), args);
    }

    /// <summary>Runs a tool against the given streams (in-process tests use this overload).</summary>
    public static int Run(ToolContext context, RootCommand root, string[] args)
    {
        ExamplesHelpAction.Install(root);
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = new StreamWriter(context.Stdout, leaveOpen: true) { AutoFlush = true },
            Error = context.Stderr,
        };

        bool wantsHelp = parse.Action is HelpAction or ExamplesHelpAction;
        if (parse.Errors.Count > 0 && !wantsHelp)
        {
            var first = parse.Errors[0].Message.TrimEnd('.');
            context.Stderr.WriteLine($"{context.ToolName}: {first} (see {CommandPath(parse.CommandResult.Command, root, context.ToolName)} --help)");
            return ExitCode.BadInput;
        }

        try
        {
            return parse.Invoke(config);
        }
        catch (Exception e)
        {
            return Report(context, e);
        }
        finally
        {
            config.Output.Flush();
        }
    }

    /// <summary>Maps an exception to one stderr line and an exit code.</summary>
    internal static int Report(ToolContext context, Exception e)
    {
        var inner = Unwrap(e);
        bool debug = Environment.GetEnvironmentVariable(DebugVariable) == "1";
        switch (inner)
        {
            case PeToolsError user:
                context.Stderr.WriteLine($"{context.ToolName}: {user.Message}");
                if (debug) context.Stderr.WriteLine(inner);
                return ExitCode.BadInput;
            case OperationCanceledException:
                AtomicFile.DeleteAllPending();
                context.Stderr.WriteLine($"{context.ToolName}: interrupted");
                return ExitCode.Interrupted;
            case IOException io when IsBrokenPipe(io):
                return ExitCode.Ok; // `| head` closed the pipe: not an error (xsv)
            default:
                context.Stderr.WriteLine($"{context.ToolName}: error: {OneLine(inner.Message)}" +
                                         (debug ? "" : $" (set {DebugVariable}=1 for details)"));
                if (debug) context.Stderr.WriteLine(inner);
                return ExitCode.Failure;
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        return e;
    }

    private static bool IsBrokenPipe(IOException e) =>
        e.HResult == 32 || (e.HResult & 0xFFFF) == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static string CommandPath(Command command, RootCommand root, string toolName)
    {
        if (ReferenceEquals(command, root)) return toolName;
        var names = new List<string>();
        Command? c = command;
        while (c is not null && !ReferenceEquals(c, root))
        {
            names.Insert(0, c.Name);
            c = c.Parents.OfType<Command>().FirstOrDefault();
        }
        return toolName + " " + string.Join(' ', names);
    }
}
