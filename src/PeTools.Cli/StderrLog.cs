using PeTools.Core.Logging;
using Spectre.Console;

namespace PeTools.Cli;

/// <summary>
/// <see cref="IRunLog"/> on stderr: Spectre.Console progress bars when stderr is a terminal, a plain progress
/// line every few seconds when it is not (CI logs, pipes), nothing at all with -q.
/// </summary>
public sealed class StderrLog(ToolContext context, bool quiet) : IRunLog
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    public void Info(string message)
    {
        if (!quiet) context.Stderr.WriteLine($"{context.ToolName}: {message}");
    }

    public void Warn(string message) => context.Stderr.WriteLine($"{context.ToolName}: warning: {message}");

    public T WithProgress<T>(string label, long total, Func<IProgressReport, T> work)
    {
        if (quiet) return work(new PlainProgress(null, label, total));
        if (!context.StderrIsTerminal) return work(new PlainProgress(this, label, total));

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Stderr) });
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
                result = work(new SpectreProgress(task, label));
            });
        return result;
    }

    private sealed class SpectreProgress(ProgressTask task, string label) : IProgressReport
    {
        public void Report(long done, string? status = null)
        {
            task.Value = done;
            if (status is not null) task.Description = Markup.Escape($"{label} {status}");
        }
    }

    private sealed class PlainProgress(StderrLog? log, string label, long total) : IProgressReport
    {
        private DateTime _last = DateTime.UtcNow;

        public void Report(long done, string? status = null)
        {
            if (log is null) return;
            var now = DateTime.UtcNow;
            if (now - _last < PlainInterval && done < total) return;
            _last = now;
            log.Info($"{label} {done}/{total}{(status is null ? "" : " " + status)}");
        }
    }
}
