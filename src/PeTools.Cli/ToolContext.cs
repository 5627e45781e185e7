namespace PeTools.Cli;

/// <summary>
/// The process's streams, passed to every command so tests can run a tool in-process with in-memory streams.
/// stdout carries the table and nothing else; stderr carries everything else.
/// </summary>
public sealed record ToolContext(string ToolName, Stream Stdin, Stream Stdout, TextWriter Stderr)
{
    public static ToolContext ForConsole(string toolName) =>
        new(toolName, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);

    /// <summary>True when stderr is an interactive terminal (progress bars only then).</summary>
    public bool StderrIsTerminal => ReferenceEquals(Stderr, Console.Error) && !Console.IsErrorRedirected;
}
