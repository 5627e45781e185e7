using System.Security.Cryptography;
using System.Text;

namespace PeTools.EndToEnd.Tests;

public class PeTrainSweepTests
{
    private const string Tiny = "--epochs 2 --vocab 40 --classes 16 --d-model 32 --d-ff 64 --heads 4 --layers 2 --max-len 24 --batch-size 32 --threads 1";

    private static Workdir WithData([System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var w = new Workdir(name);
        w.Write("d.csv", TinyData.DistanceCsv(200, 50));
        return w;
    }

    [Theory]
    [InlineData("pe,data,seed\nrope,d.csv,0\nfoo,d.csv,1\n", "g.csv: row 2, column 'pe': expected one of nope,")]
    [InlineData("pe,data,seed\nrope,missing.csv,0\n", "g.csv: row 1, column 'data': expected an existing dataset file, found no such file")]
    [InlineData("pe,data,seed\nrope,d.csv,0\nrope,d.csv,0\n", "g.csv: row 2, column 'name': expected a run name unique in the grid, found 'd-rope-s0', as in row 1")]
    [InlineData("pe,data,seed,name\nrope,d.csv,0,a\nnope,d.csv,0,a\n", "g.csv: row 2, column 'name': expected a run name unique in the grid, found 'a'")]
    [InlineData("pe,data,seed,name\nrope,d.csv,0,../x\n", "g.csv: row 1, column 'name': expected a run name of letters")]
    [InlineData("pe,data,seed,args\nrope,d.csv,0,--epochz 3\n", "g.csv: row 1, column 'args': expected pe-train options, found Unrecognized command or argument '--epochz'")]
    [InlineData("pe,data,seed,args\nrope,d.csv,0,--out elsewhere\n", "g.csv: row 1, column 'args': expected pe-train options other than")]
    [InlineData("pe,data,seed,args\nrope,d.csv,0,--d-model 30\n", "g.csv: row 1, column 'args': expected valid pe-train options, found option --heads")]
    [InlineData("pe,data,seed\nrope,d.csv,zero\n", "g.csv: row 1, column 'seed': expected int64")]
    [InlineData("pe,seed\nrope,0\n", "g.csv: header: expected a column 'data'")]
    public void Every_grid_row_is_validated_before_anything_runs_with_one_line_and_exit_2(string grid, string expected)
    {
        // Given a grid with one bad cell
        using var w = WithData();
        w.Write("g.csv", grid);

        // When sweeping it
        var o = w.Run("pe-train sweep --grid g.csv --out-root runs");

        // Then exit 2, one line naming the row and column, and no run was started
        Assert.Equal(2, o.ExitCode);
        Assert.Single(o.StderrLines);
        Assert.StartsWith("pe-train: ", o.Stderr);
        Assert.Contains(expected, o.Stderr);
        Assert.False(Directory.Exists(w.PathOf("runs")));
    }

    [Fact]
    public void Run_names_derive_from_task_pe_seed_and_a_stable_hash_of_the_args()
    {
        // Given a grid with bare task names resolved by --data-dir, with and without args
        using var w = WithData();
        Directory.CreateDirectory(w.PathOf("data"));
        File.Copy(w.PathOf("d.csv"), w.PathOf("data/distance.parquet")); // the name only has to exist for a dry run
        w.Write("g.csv", "pe,data,seed,args\nrope,distance,0,\nrope,distance,0,--epochs 3\nrope,distance,0,--epochs 4\nnope,d.csv,7,  --epochs   3 \n");

        // When planning it twice
        var a = w.Run("pe-train sweep --grid g.csv --out-root runs --data-dir data --dry-run | cut -d, -f1");
        var b = w.Run("pe-train sweep --grid g.csv --out-root runs --data-dir data --dry-run | cut -d, -f1");

        // Then the names are the same each time, and the hash is the first 6 hex digits of SHA-256 of the args tokens
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.Equal(["name", "distance-rope-s0", $"distance-rope-s0-{Hash("--epochs", "3")}",
            $"distance-rope-s0-{Hash("--epochs", "4")}", $"d-nope-s7-{Hash("--epochs", "3")}"], a.Stdout.TrimEnd('\n').Split('\n'));
    }

    private static string Hash(params string[] args) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', args))))[..6];

    [Fact]
    public void Complete_runs_are_skipped_started_ones_resumed_and_empty_ones_run_fresh()
    {
        // Given hand-made run directories: complete, checkpoint only, empty (and one absent)
        using var w = WithData();
        w.Write("g.csv", "pe,data,seed,name\nrope,d.csv,0,complete\nrope,d.csv,0,checkpoint\nrope,d.csv,0,empty\nrope,d.csv,0,absent\n");
        foreach (var d in new[] { "runs/complete", "runs/checkpoint/checkpoint", "runs/empty" }) Directory.CreateDirectory(w.PathOf(d));
        w.Write("runs/complete/config.json", "{}");
        w.Write("runs/complete/model.safetensors", "");
        w.Write("runs/checkpoint/config.json", "{}");
        w.Write("runs/checkpoint/checkpoint/state.json", "{}");

        // When planning the sweep
        var o = w.Run("pe-train sweep --grid g.csv --out-root runs --dry-run");

        // Then each directory gets its action, and only the resumed run gets --resume
        Assert.True(o.ExitCode == 0, o.Stderr);
        var plan = o.Stdout.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0]);
        Assert.Equal(["skip", "resume", "run", "run"], new[] { "complete", "checkpoint", "empty", "absent" }.Select(n => plan[n][1]));
        Assert.Equal("", plan["complete"][2]);
        Assert.EndsWith($"--out {w.PathOf("runs/checkpoint")} --resume", plan["checkpoint"][2]);
        Assert.DoesNotContain("--resume", plan["empty"][2]);
        Assert.DoesNotContain("--device", plan["empty"][2]);
    }

    [Theory]
    [InlineData("--gpus 0,1", 0)]
    [InlineData("--gpus 0 --runs-per-gpu 3", 0)]
    [InlineData("--gpus 1,1", 2)]
    [InlineData("--gpus x", 2)]
    public void Gpu_lists_put_every_child_on_cuda_and_bad_lists_are_usage_errors(string gpus, int exit)
    {
        // Given a valid grid
        using var w = WithData();
        w.Write("g.csv", "pe,data,seed\nrope,d.csv,0\nnope,d.csv,0\n");

        // When planning it on GPUs
        var o = w.Run($"pe-train sweep --grid g.csv --out-root runs {gpus} --dry-run");

        // Then a good list sends every child to cuda; a bad one is one line naming --gpus, exit 2
        Assert.Equal(exit, o.ExitCode);
        if (exit == 0) Assert.All(o.Stdout.TrimEnd('\n').Split('\n').Skip(1), l => Assert.EndsWith("--device cuda", l));
        else Assert.Equal("pe-train: option --gpus: expected distinct GPU ids like 0,1 or auto, found '" + gpus[7..] + "'", Assert.Single(o.StderrLines));
    }

    [Fact]
    public void The_issue_grid_plans_36_bf16_runs_three_at_a_time_on_one_gpu()
    {
        // Given examples/gpu/paper-grid-bf16.csv (6 PEs x 2 tasks x 3 seeds) and a dataset for each task
        using var w = new Workdir();
        w.Write("distance.csv", TinyData.DistanceCsv(50, 10));
        w.Write("count.csv", TinyData.DistanceCsv(50, 10));
        var grid = Path.Combine(Workdir.RepoRoot, "examples/gpu/paper-grid-bf16.csv");
        var text = File.ReadAllText(grid).Replace(",distance,", ",distance.csv,").Replace(",count,", ",count.csv,");
        w.Write("g.csv", text);

        // When planning it on GPU 0 with three runs at a time
        var o = w.Run("pe-train sweep --grid g.csv --out-root runs --gpus 0 --runs-per-gpu 3 --dry-run");

        // Then 36 distinct runs, every one in bf16 with bf16 evaluation, on cuda, for the 100-epoch default schedule
        Assert.True(o.ExitCode == 0, o.Stderr);
        var plan = o.Stdout.TrimEnd('\n').Split('\n').Skip(1).ToList();
        Assert.Equal(36, plan.Count);
        Assert.Equal(36, plan.Select(l => l.Split(',')[0]).Distinct().Count());
        Assert.All(plan, l => Assert.Contains("--precision bf16 --eval-precision bf16", l));
        Assert.All(plan, l => Assert.EndsWith("--device cuda", l));
        Assert.All(plan, l => Assert.DoesNotContain("--epochs", l));
    }

    [Theory]
    [InlineData("--runs-per-gpu 2", "1 without --gpus or with --emit slurm, found 2")]
    [InlineData("--gpus 0 --runs-per-gpu 0", "a whole number of at least 1, found 0")]
    public void Runs_per_gpu_needs_gpus_and_a_positive_count(string args, string expected)
    {
        // Given a valid grid
        using var w = WithData();
        w.Write("g.csv", "pe,data,seed\nrope,d.csv,0\n");

        // When planning it with a bad --runs-per-gpu
        var o = w.Run($"pe-train sweep --grid g.csv --out-root runs {args} --dry-run");

        // Then one line naming the option, exit 2
        Assert.Equal(2, o.ExitCode);
        Assert.Equal("pe-train: option --runs-per-gpu: expected " + expected, Assert.Single(o.StderrLines));
    }

    [Fact]
    public void A_sweep_of_two_tiny_cpu_runs_summarises_both_and_a_second_sweep_skips_both()
    {
        // Given a grid of two tiny runs
        using var w = WithData();
        w.Write("g.csv", $"pe,data,seed,args\nrope,d.csv,0,{Tiny}\nnope,d.csv,1,{Tiny}\n");

        // When sweeping it, then sweeping it again
        var first = w.Run("pe-train sweep --grid g.csv --out-root runs -o summary.csv");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var model = w.PathOf($"runs/d-rope-s0-{Hash(Tiny.Split(' '))}/model.safetensors");
        var written = File.GetLastWriteTimeUtc(model);
        var second = w.Run("pe-train sweep --grid g.csv --out-root runs");

        // Then the first summary has both runs done with accuracies and 2 epochs, each with its train.log
        var rows = File.ReadAllLines(w.PathOf("summary.csv"));
        Assert.Equal("name,pe,data,seed,status,test_accuracy,train_accuracy,epochs,seconds", rows[0]);
        Assert.Equal(3, rows.Length);
        foreach (var (row, pe, seed) in new[] { (rows[1], "rope", "0"), (rows[2], "nope", "1") })
        {
            var c = row.Split(',');
            Assert.Equal([$"d-{pe}-s{seed}-{Hash(Tiny.Split(' '))}", pe, "d.csv", seed, "done"], c[..5]);
            Assert.InRange(double.Parse(c[5], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
            Assert.InRange(double.Parse(c[6], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
            Assert.Equal("2", c[7]);
            Assert.Contains("epoch 2/2", File.ReadAllText(w.PathOf($"runs/{c[0]}/train.log")));
        }

        // And the second skips both, leaving the weights untouched, with the same accuracies
        Assert.True(second.ExitCode == 0, second.Stderr);
        var again = second.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, again.Length);
        for (int i = 1; i <= 2; i++)
        {
            var (was, now) = (rows[i].Split(','), again[i].Split(','));
            Assert.Equal("skipped", now[4]);
            Assert.Equal(was[..4].Concat(was[5..8]), now[..4].Concat(now[5..8]));
            Assert.Equal("0", now[8]);
        }
        Assert.Equal(written, File.GetLastWriteTimeUtc(model));
    }

    [Fact]
    public void A_run_stopped_early_by_its_options_is_stopped_not_failed_and_a_rerun_finishes_it()
    {
        // Given a grid whose one row stops after 1 of its 2 epochs
        using var w = WithData();
        w.Write("g.csv", $"pe,data,seed,args\nrope,d.csv,0,{Tiny} --stop-after-epochs 1\n");

        // When sweeping it, then sweeping it again
        var first = w.Run("pe-train sweep --grid g.csv --out-root runs");
        var second = w.Run("pe-train sweep --grid g.csv --out-root runs");

        // Then the first sweep exits 0 with the run stopped after epoch 1, and the second resumes it to the end
        Assert.True(first.ExitCode == 0, first.Stderr);
        var stopped = first.Stdout.TrimEnd('\n').Split('\n')[1].Split(',');
        Assert.Equal(("stopped", "1"), (stopped[4], stopped[7]));
        Assert.True(second.ExitCode == 0, second.Stderr);
        var done = second.Stdout.TrimEnd('\n').Split('\n')[1].Split(',');
        Assert.Equal(("done", "2"), (done[4], done[7]));
    }

    [Fact]
    public void A_failed_run_is_in_the_summary_and_the_sweep_exits_1()
    {
        // Given a grid whose second dataset is malformed (the grid itself is valid)
        using var w = WithData();
        w.Write("bad.csv", "split,tokens,target\ntrain,3 1 99 2,2\n");
        w.Write("g.csv", $"pe,data,seed,args\nrope,bad.csv,0,{Tiny}\nnope,d.csv,0,{Tiny}\n");

        // When sweeping it
        var o = w.Run("pe-train sweep --grid g.csv --out-root runs");

        // Then the bad row failed (its reason is in its train.log), the other still ran, and the exit code is 1
        Assert.Equal(1, o.ExitCode);
        var status = o.Stdout.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(',')[4]);
        Assert.Equal(["failed", "done"], status);
        Assert.Contains("column 'tokens'", File.ReadAllText(w.PathOf($"runs/bad-rope-s0-{Hash(Tiny.Split(' '))}/train.log")));
    }

    [Fact]
    public void The_slurm_script_is_valid_bash_matches_the_golden_file_and_runs_one_row_per_array_index()
    {
        // Given a grid of three runs, one with a comma in its args
        using var w = WithData();
        w.Write("g.csv", "pe,data,seed,args\nrope,d.csv,0,--epochs 3\nnope,d.csv,1,\nalibi,d.csv,2,\"--pe-layers 0,1 --layers 2\"\n");

        // When emitting a Slurm job array
        var o = w.Run("pe-train sweep --grid g.csv --out-root runs --emit slurm -o job.sbatch && bash -n job.sbatch");

        // Then it passes bash -n and, with paths normalised, equals the committed golden script
        Assert.True(o.ExitCode == 0, o.Stderr);
        var script = File.ReadAllText(w.PathOf("job.sbatch"));
        var normalised = string.Join('\n', script.Replace(w.Dir, "$WORKDIR").Split('\n')
            .Select(l => l.StartsWith("pe_train=(") ? "pe_train=(PE_TRAIN)" : l));
        var golden = Path.Combine(Workdir.RepoRoot, "tests", "PeTools.EndToEnd.Tests", "golden", "sweep.sbatch");
        if (Environment.GetEnvironmentVariable("PE_TOOLS_UPDATE_GOLDEN") == "1") File.WriteAllText(golden, normalised);
        Assert.Equal(File.ReadAllText(golden), normalised);

        // And array task 2 runs pe-train on row 3 with its args, on cuda, with --resume
        var stub = w.Run("sed 's|^pe_train=.*|pe_train=(printf \"%s \")|' job.sbatch > stub.sh && SLURM_ARRAY_TASK_ID=2 bash stub.sh");
        Assert.True(stub.ExitCode == 0, stub.Stderr);
        Assert.Equal($"--data {w.PathOf("d.csv")} --pe alibi --seed 2 --out {w.PathOf("runs")}/d-alibi-s2-{Hash("--pe-layers", "0,1", "--layers", "2")} " +
                     "--pe-layers 0,1 --layers 2 --device cuda --resume ", stub.Stdout);
    }
}
