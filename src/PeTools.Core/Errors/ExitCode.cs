namespace PeTools.Core.Errors;

/// <summary>The exit codes of every pe-tools command (STYLE.md §8).</summary>
public static class ExitCode
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;
}
