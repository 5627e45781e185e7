using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Train.Sweep;

namespace PeTools.Train.Commands;

/// <summary>
/// <c>pe-train sweep --grid grid.csv --out-root runs/</c>: every row of a grid as its own resumable pe-train run,
/// sequentially on CPU or one at a time per GPU, then a summary table; or, with --emit slurm, a job-array script.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(ToolContext context)
    {
        var grid = new Option<string>("--grid") { Description = "grid table: pe, data, seed[, args, name] (- for stdin)", Required = true, HelpName = "FILE" };
        var outRoot = new Option<string>("--out-root") { Description = "parent of the run directories (one per row, named by the row)", Required = true, HelpName = "DIR" };
        var dataDir = new Option<string?>("--data-dir") { Description = "resolve a bare data name NAME to DIR/NAME.parquet", HelpName = "DIR" };
        var gpus = new Option<string?>("--gpus") { Description = "GPU ids for one worker each (0,1,...), or auto (nvidia-smi); default: sequential on CPU", HelpName = "LIST|auto" };
        var perGpu = new Option<int>("--runs-per-gpu")
        {
            Description = "runs at once on each GPU (needs --gpus). Their kernels share the GPU only under an MPS daemon " +
                          "(nvidia-cuda-mps-control -d); without one they take turns, no faster than 1",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        var emit = new Option<string?>("--emit") { Description = "write a job script instead of running: slurm (sbatch job array; needs -o)", HelpName = "slurm" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the plan (run, resume or skip per row) as a table; run nothing" };
        var output = CommonOptions.Output("summary table (or the plan with --dry-run; the script with --emit), - for stdout");
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();

        var command = new Command("sweep", "Train every row of a grid (PE x data x seed x options), resumably, and summarise the runs.");
        foreach (var option in new Option[] { grid, outRoot, dataDir, gpus, perGpu, emit, dryRun, output, format, quiet }) command.Add(option);
        command.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            var fmt = CommonOptions.FormatOf(parse, format);
            var gridPath = parse.GetValue(grid)!;
            var root = parse.GetValue(outRoot)!;
            var outPath = parse.GetValue(output)!;
            if (parse.GetValue(emit) is { } kind && kind != "slurm") throw UsageError.Option("--emit", "slurm", kind);
            bool slurm = parse.GetValue(emit) is not null;
            if (slurm && outPath == TableFormats.StdStream)
                throw new UsageError("--emit slurm: give the script's path with -o (a sidecar grid is written beside it)");
            var gpuIds = ParseGpus(parse.GetValue(gpus), log);
            int runsPerGpu = parse.GetValue(perGpu);
            if (runsPerGpu < 1) throw UsageError.Option("--runs-per-gpu", "a whole number of at least 1", runsPerGpu);
            if (runsPerGpu > 1 && (gpuIds.Count == 0 || slurm))
                throw UsageError.Option("--runs-per-gpu", "1 without --gpus or with --emit slurm", runsPerGpu);

            var rows = SweepGrid.Load(gridPath, parse.GetValue(dataDir), fmt, context.Stdin);
            var runner = new SweepRunner(root, gpuIds.SelectMany(g => Enumerable.Repeat(g, runsPerGpu)).ToList(), log);
            var (exe, prefix) = SweepRunner.Self();
            if (slurm)
            {
                SlurmScript.Write(gridPath, outPath, rows, root, [exe, .. prefix]);
                log.Info($"{outPath}: {rows.Count} array tasks; grid copy {SlurmScript.SidecarOf(outPath)}");
                return ExitCode.Ok;
            }
            if (parse.GetValue(dryRun))
            {
                WriteTable(outPath, fmt, context, Plan(rows, runner, gpuIds.Count > 0));
                return ExitCode.Ok;
            }

            var outcomes = runner.Run(rows);
            WriteTable(outPath, fmt, context, runner.Summary(outcomes));
            int failed = outcomes.Count(o => o.Status == "failed");
            if (failed > 0) log.Warn($"{failed} of {rows.Count} runs failed");
            return failed > 0 ? ExitCode.Failure : ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("RoPE and NoPE on one dataset, on CPU one after another, summary to stdout",
                "printf 'pe,data,seed,args\\nrope,dist.parquet,0,--epochs 2\\nnope,dist.parquet,0,--epochs 2\\n' > grid.csv && pe-train sweep --grid grid.csv --out-root runs"),
            new Example("the same grid on every GPU of the machine, one run per GPU at a time; rerun to resume",
                "pe-train sweep --grid grid.csv --out-root runs --gpus auto -o summary.csv"),
            new Example("three runs at once on GPU 0, sharing it through MPS (as the paper's 3 seeds of a PE)",
                "nvidia-cuda-mps-control -d && pe-train sweep --grid grid.csv --out-root runs --gpus 0 --runs-per-gpu 3 -o summary.csv"),
            new Example("what would run, resume or be skipped",
                "pe-train sweep --grid grid.csv --out-root runs --dry-run"),
            new Example("a Slurm job array of the grid (one GPU per task) instead of running it here",
                "pe-train sweep --grid grid.csv --out-root runs --emit slurm -o sweep.sbatch && bash -n sweep.sbatch"));
    }

    private static TableBatch Plan(IReadOnlyList<SweepRow> rows, SweepRunner runner, bool cuda)
    {
        var b = new TableBatchBuilder(Schemas.SweepPlan);
        foreach (var r in rows)
        {
            var action = SweepRunner.Decide(runner.DirOf(r));
            var args = r.TrainArgs(runner.DirOf(r), cuda, action == SweepAction.Resume);
            b.Add((Schemas.SweepPlanColumns.Name, r.Name), (Schemas.SweepPlanColumns.Action, action.ToString().ToLowerInvariant()),
                (Schemas.SweepPlanColumns.Command, action == SweepAction.Skip ? "" : string.Join(' ', args)));
        }
        return b.Build();
    }

    private static void WriteTable(string path, TableFormat? format, ToolContext context, TableBatch batch)
    {
        TableWriter.WriteTable(path, batch, format, stdout: context.Stdout);
    }

    /// <summary>"0,1,3" → [0, 1, 3]; "auto" → CUDA_VISIBLE_DEVICES or nvidia-smi's GPUs (none: CPU); null → CPU.</summary>
    private static IReadOnlyList<int> ParseGpus(string? text, StderrLog log)
    {
        if (text is null) return [];
        if (text == "auto")
        {
            var ids = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is { Length: > 0 } visible
                ? visible.Split(',').Select((_, i) => i).ToList()
                : NvidiaSmiGpus();
            if (ids.Count == 0) log.Warn("--gpus auto: no GPU found; running on CPU");
            return ids;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)) && parts.Distinct().Count() == parts.Length
            ? parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList()
            : throw UsageError.Option("--gpus", "distinct GPU ids like 0,1 or auto", text);
    }

    private static List<int> NvidiaSmiGpus()
    {
        try
        {
            var psi = new ProcessStartInfo("nvidia-smi", ["--query-gpu=index", "--format=csv,noheader"])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode != 0 ? [] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(t => int.TryParse(t, out _)).Select(int.Parse).ToList();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return []; // no nvidia-smi on PATH
        }
    }
}
