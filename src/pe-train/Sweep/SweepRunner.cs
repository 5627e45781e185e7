using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using PeTools.Core.Logging;
using PeTools.Core.Tables;

namespace PeTools.Train.Sweep;

internal enum SweepAction
{
    Run,
    Resume,
    Skip,
}

/// <summary>The outcome of one row: its status (done, skipped, failed) and the child's wall time.</summary>
internal sealed record SweepOutcome(SweepRow Row, string Status, double Seconds);

/// <summary>
/// Runs every row of a grid as a child <c>pe-train</c> process (the same executable), sequentially on CPU or one
/// worker per entry of <c>gpus</c> with <c>CUDA_VISIBLE_DEVICES</c> set per child (a GPU listed k times
/// runs k children at once: <c>--runs-per-gpu</c>). Resuming and skipping follow the run directory:
/// <c>model.safetensors</c> means complete, <c>config.json</c> means started (resume), anything else a fresh run.
/// </summary>
internal sealed class SweepRunner(string outRoot, IReadOnlyList<int> gpus, IRunLog log)
{
    public const string LogFile = "train.log";

    public string DirOf(SweepRow row) => Path.GetFullPath(Path.Combine(outRoot, row.Name));

    public static SweepAction Decide(string dir) =>
        File.Exists(Path.Combine(dir, "model.safetensors")) ? SweepAction.Skip
        : File.Exists(Path.Combine(dir, "config.json")) ? SweepAction.Resume
        : SweepAction.Run;

    public IReadOnlyList<SweepOutcome> Run(IReadOnlyList<SweepRow> rows)
    {
        var outcomes = new SweepOutcome[rows.Count];
        var queue = new ConcurrentQueue<int>(Enumerable.Range(0, rows.Count));
        var workers = (gpus.Count == 0 ? [null] : gpus.Select(g => (int?)g)).Select(gpu => Task.Run(() =>
        {
            while (queue.TryDequeue(out var i)) outcomes[i] = RunOne(rows[i], gpu);
        })).ToArray();
        Task.WaitAll(workers);
        return outcomes;
    }

    private SweepOutcome RunOne(SweepRow row, int? gpu)
    {
        var dir = DirOf(row);
        var action = Decide(dir);
        if (action == SweepAction.Skip)
        {
            log.Info($"{row.Name}: complete, skipped");
            return new SweepOutcome(row, "skipped", 0);
        }
        Directory.CreateDirectory(dir);
        log.Info($"{row.Name}: {(action == SweepAction.Resume ? "resuming" : "starting")} on {(gpu is { } g ? $"GPU {g}" : "CPU")}");
        var (exe, prefix) = Self();
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Concat(row.TrainArgs(dir, gpu is not null, action == SweepAction.Resume))) psi.ArgumentList.Add(a);
        if (gpu is { } id) psi.Environment["CUDA_VISIBLE_DEVICES"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var clock = Stopwatch.StartNew();
        int exit;
        using (var train = new StreamWriter(Path.Combine(dir, LogFile), append: true) { AutoFlush = true })
        using (var p = new Process { StartInfo = psi })
        {
            DataReceivedEventHandler write = (_, e) =>
            {
                if (e.Data is null) return;
                lock (train) train.WriteLine(e.Data);
            };
            p.OutputDataReceived += write;
            p.ErrorDataReceived += write;
            p.Start();
            p.StandardInput.Close();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            p.WaitForExit();
            exit = p.ExitCode;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        // Exit 0 without the final weights: the row's --stop-after-epochs ended it early, as a grid run in chunks does.
        var status = exit != 0 ? "failed" : Decide(dir) == SweepAction.Skip ? "done" : "stopped";
        if (status == "done") log.Info($"{row.Name}: done in {seconds:F1}s");
        else if (status == "stopped") log.Info($"{row.Name}: stopped early after {seconds:F1}s (its --stop-after-epochs); a rerun of the sweep resumes it");
        else log.Warn($"{row.Name}: failed (exit {exit}); see {Path.Combine(dir, LogFile)}");
        return new SweepOutcome(row, status, seconds);
    }

    /// <summary>This executable: the apphost, or <c>dotnet pe-train.dll</c> when running under the dotnet host.</summary>
    public static (string Exe, IReadOnlyList<string> Prefix) Self()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this process's executable");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [Assembly.GetEntryAssembly()!.Location])
            : (process, []);
    }

    /// <summary>The summary table: one row per grid row, with final accuracies and epochs read from DIR/metrics.parquet.</summary>
    public TableBatch Summary(IReadOnlyList<SweepOutcome> outcomes)
    {
        var b = new TableBatchBuilder(Schemas.SweepSummary);
        foreach (var o in outcomes)
        {
            var (test, train, epochs) = FinalMetrics(Path.Combine(DirOf(o.Row), "metrics.parquet"));
            b.Add((Schemas.SweepSummaryColumns.Name, o.Row.Name), (Schemas.SweepSummaryColumns.Pe, o.Row.Pe),
                (Schemas.SweepSummaryColumns.Data, o.Row.Data), (Schemas.SweepSummaryColumns.Seed, o.Row.Seed),
                (Schemas.SweepSummaryColumns.Status, o.Status), (Schemas.SweepSummaryColumns.TestAccuracy, test),
                (Schemas.SweepSummaryColumns.TrainAccuracy, train), (Schemas.SweepSummaryColumns.Epochs, epochs),
                (Schemas.SweepSummaryColumns.Seconds, Math.Round(o.Seconds, 3)));
        }
        return b.Build();
    }

    private static (double Test, double Train, double Epochs) FinalMetrics(string path)
    {
        if (!File.Exists(path)) return (double.NaN, double.NaN, 0);
        using var reader = TableReader.Open(path, Schemas.Metrics);
        var m = reader.ReadAll();
        var split = m.String(Schemas.MetricsColumns.Split);
        var accuracy = m.Float64(Schemas.MetricsColumns.Accuracy);
        double Last(string s) => Array.FindLastIndex(split, x => x == s) is var i && i >= 0 ? accuracy[i] : double.NaN;
        return (Last("test"), Last("train"), m.RowCount == 0 ? 0 : m.Float64(Schemas.MetricsColumns.Epoch).Max());
    }
}
