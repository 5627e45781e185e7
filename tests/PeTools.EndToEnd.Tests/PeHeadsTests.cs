namespace PeTools.EndToEnd.Tests;

/// <summary>One pe-train run (two layers, four heads, RoPE, snapshots every 40 steps) that every pe-heads test reads.</summary>
public sealed class TrainedRun : IDisposable
{
    public TrainedRun()
    {
        Workdir = new Workdir("PeHeadsTests_one_trained_run_for_all"); // Workdir keeps 60 characters of name-pid-guid
        Workdir.Write("d.csv", TinyData.DistanceCsv(400, 100));
        Workdir.Write("big.csv", "split,tokens,target\ntrain,3 1 99 2,2\n");
        Trained = Workdir.Run($"pe-train --data d.csv --pe rope --epochs 2 --save-every 40 {TinyData.SmallModel} --out runs/x");
    }

    public Workdir Workdir { get; }
    public Outcome Trained { get; }

    public void Dispose() => Workdir.Dispose();
}

/// <summary>pe-heads as a user runs it: on a run pe-train made, in bash pipelines. Tests of a class run one at a time.</summary>
public class PeHeadsTests(TrainedRun run) : IClassFixture<TrainedRun>
{
    private Workdir TrainedRun(string _)
    {
        Assert.True(run.Trained.ExitCode == 0, run.Trained.Stderr);
        return run.Workdir;
    }

    [Fact]
    public void Ablate_piped_into_deposit_gives_one_labelled_row_per_layer()
    {
        // Given a trained two-layer, four-head run
        var w = TrainedRun(nameof(Ablate_piped_into_deposit_gives_one_labelled_row_per_layer));

        // When its ablation is piped into the deposit summary
        var o = w.Run("pe-heads ablate runs/x --data d.csv --threads 1 -q | pe-heads deposit -i -");

        // Then exit 0, a header and one row per layer, each with a known label, nothing on stderr
        Assert.True(o.ExitCode == 0, o.Stderr);
        var lines = o.Stdout.Trim().Split('\n');
        Assert.Equal("layer,mode,scope,split,heads,baseline_accuracy,top_head,top_drop,runner_up_head,runner_up_drop," +
                     "margin,concentration,gini,median_drop,pattern", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[1..], l => Assert.Matches(@"^[01],zero,head,all,4,.*,(deposit|shock|spread|average)$", l));
        Assert.Equal("", o.Stderr);
    }

    [Fact]
    public void Every_model_subcommand_writes_its_table_and_the_same_seed_gives_the_same_bytes()
    {
        // Given a trained run with snapshots
        var w = TrainedRun(nameof(Every_model_subcommand_writes_its_table_and_the_same_seed_gives_the_same_bytes));

        // When each subcommand runs (resample twice with one seed)
        var o = w.Run(string.Join(" && ",
            "pe-heads ablate runs/x --data d.csv --mode resample --seed 4 -q -o a1.csv",
            "pe-heads ablate runs/x --data d.csv --mode resample --seed 4 -q -o a2.parquet",
            "pe-heads ablate runs/x --data d.csv --mode resample --seed 4 -q -o a3.csv",
            "pe-heads stats runs/x --data d.csv -q -o stats.csv",
            "pe-heads maps runs/x --data d.csv --layers 1 --max-len 6 -q -o maps.csv",
            "pe-heads dynamics runs/x --data d.csv --split test -q -o drops.csv --summary margins.csv",
            "pe-heads pattern runs/x --data d.csv --head 1 -q -o pattern.csv"));

        // Then all succeed, reruns are byte-identical, and each table has the rows it should
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal(File.ReadAllBytes(w.PathOf("a1.csv")), File.ReadAllBytes(w.PathOf("a3.csv")));
        Assert.Equal(1 + 2 * 4, File.ReadAllLines(w.PathOf("stats.csv")).Length);
        Assert.Equal(1 + 4 * 6 * 6, File.ReadAllLines(w.PathOf("maps.csv")).Length);
        Assert.StartsWith("step,layer,top_head", File.ReadAllLines(w.PathOf("margins.csv"))[0]);
        Assert.Equal(3, File.ReadAllLines(w.PathOf("pattern.csv")).Length); // 1→2 and 2→1 (triggers found by themselves)
    }

    [Theory]
    [InlineData("pe-heads ablate runs/none --data d.csv", "runs/none: run directory: expected a pe-train run (config.json)")]
    [InlineData("pe-heads ablate runs/x --data d.csv --layers 0-5", "option --layers: expected layer indices in 0..1")]
    [InlineData("pe-heads ablate runs/x --data big.csv", "row 1, column 'tokens': expected token ids in 1..39")]
    [InlineData("pe-heads ablate runs/x --data d.csv --mode half", "option --mode: expected zero, mean or resample, found 'half'")]
    [InlineData("pe-heads ablate runs/x --data d.csv --split dev", "option --split: expected all or one of test, train, found 'dev'")]
    [InlineData("pe-heads posvec runs/x --data d.csv", "posvec is not applicable to --pe rope")]
    [InlineData("echo 'layer,head' | pe-heads deposit -i -", "header: expected a column 'mode'")]
    public void Bad_input_is_one_line_on_stderr_and_exit_2(string command, string expected)
    {
        // Given a trained run and a dataset whose tokens are outside the model's vocabulary (big.csv)
        var w = TrainedRun(nameof(Bad_input_is_one_line_on_stderr_and_exit_2));

        // When pe-heads is given bad input
        var o = w.Run(command + " -q");

        // Then exit 2 and exactly one line naming the problem
        Assert.Equal(2, o.ExitCode);
        Assert.Single(o.StderrLines);
        Assert.StartsWith("pe-heads: ", o.Stderr);
        Assert.Contains(expected, o.Stderr);
    }
}
