using System.Diagnostics;
using System.Globalization;

namespace PeTools.EndToEnd.Tests;

/// <summary>pe-spectrum hessian as a user runs it: on a run pe-train made with snapshots, in bash.</summary>
public class HessianTests
{
    private const string Small = "--top-k 3 --lanczos-steps 40 --hutchinson-samples 8 --slq-runs 2 --slq-steps 12 " +
                                 "--density-points 64 --batches 2 --batch-size 16 --threads 1 -q";

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>A workdir holding d.csv and a tiny run runs/r of <paramref name="pe"/> trained with <paramref name="options"/>.</summary>
    private static Workdir WithRun(string pe, int trainRows, string options, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var w = new Workdir(name);
        w.Write("d.csv", TinyData.DistanceCsv(trainRows, trainRows / 5));
        var trained = w.Run($"pe-train --data d.csv --pe {pe} {options} {TinyData.SmallModel} --out runs/r");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        return w;
    }

    [Fact]
    public void Hessian_over_every_snapshot_of_a_relative_run_gives_sharpness_trace_and_density_per_step_and_scope()
    {
        // Given a tiny relative-PE run trained 2 epochs (7 steps each) with snapshots every 5 steps
        using var w = WithRun("relative", 200, "--epochs 2 --save-every 5");

        // When its Hessian is measured at every checkpoint over the model and layer 1's attention, piped through bash
        var clock = Stopwatch.StartNew();
        var o = w.Run($"pe-spectrum hessian runs/r --data d.csv --checkpoints all --scope model,layer:1:attn {Small} -o - | cat");
        var seconds = clock.Elapsed.TotalSeconds;

        // Then exit 0, nothing on stderr, the hessian header, and for each of steps 5, 10, 14 and each scope: the run's
        // identity, descending top eigenvalues, a converged Lanczos run, a trace with its error, 64 density points
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal("", o.Stderr);
        var lines = o.Stdout.Trim().Split('\n');
        Assert.Equal("run,pe,task,seed,step,epoch,scope,dimension,quantity,index,value", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal(("r", "relative", "d", "0"), (r[0], r[1], r[2], r[3])));
        Assert.Equal(["5", "10", "14"], rows.Select(r => r[4]).Distinct());
        Assert.Equal(["model", "layer:1:attn"], rows.Select(r => r[6]).Distinct());
        foreach (var step in new[] { "5", "10", "14" })
            foreach (var scope in new[] { "model", "layer:1:attn" })
            {
                var q = rows.Where(r => r[4] == step && r[6] == scope).ToList();
                double Value(string quantity, int index = -1) => Number(q.Single(r => r[8] == quantity && r[9] == index.ToString(CultureInfo.InvariantCulture))[10]);
                var top = Enumerable.Range(0, 3).Select(i => Value("top_eigenvalue", i)).ToArray();
                Assert.Equal(top.OrderDescending(), top);
                Assert.True(top[0] > 0 && Value("min_eigenvalue", 0) < top[2]);
                Assert.Equal(1, Value("lanczos_converged"));
                Assert.Equal(8, Value("trace_samples"));
                Assert.True(Value("trace_stderr") > 0);
                Assert.Equal(64, q.Count(r => r[8] == "density"));
                Assert.Equal(64, q.Count(r => r[8] == "density_grid"));
                Assert.Equal(Number(step) / 7, Number(q[0][5]), 9);
            }
        long modelDim = long.Parse(rows.First(r => r[6] == "model")[7], CultureInfo.InvariantCulture);
        long attnDim = long.Parse(rows.First(r => r[6] == "layer:1:attn")[7], CultureInfo.InvariantCulture);
        Assert.Equal(4 * (32 * 32 + 32) + 47 * 4, attnDim); // Q/K/V/O with biases, and layer 1's table (2·24 − 1) × 4 heads
        Assert.True(modelDim > attnDim);

        // And one checkpoint and scope alone give the same bytes as their rows above: rows and vectors come from
        // --seed, not from what else was measured (so curves over a run compare like with like)
        var one = w.Run($"pe-spectrum hessian runs/r --data d.csv --checkpoints 10 --scope layer:1:attn {Small} -o -");
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Equal(lines.Skip(1).Where(l => l.Split(',')[4] == "10" && l.Split(',')[6] == "layer:1:attn"),
            one.Stdout.Trim().Split('\n').Skip(1));
        Console.WriteLine($"pe-spectrum hessian, tiny run, 3 checkpoints × 2 scopes: {seconds:F1} s");
    }

    [Fact]
    public void Bad_input_is_exit_2_with_one_line_naming_it()
    {
        // Given a tiny RoPE run (RoPE has no parameters, so --scope pe is an error too)
        using var w = WithRun("rope", 60, "--epochs 1");

        foreach (var (options, named) in new[]
                 {
                     ("--scope layer:9", "--scope"), ("--scope attn", "--scope"), ("--scope pe", "--scope"),
                     ("--checkpoints 3", "--checkpoints"), ("--checkpoints some", "--checkpoints"), ("--top-k -1", "--top-k"),
                     ("--density-points 4", "--density-points"), ("--batches 0", "--batches"), ("--split nope", "--split"),
                 })
        {
            // When hessian is given one bad option
            var o = w.Run($"pe-spectrum hessian runs/r --data d.csv {options} -q -o -");

            // Then exit 2, one line on stderr naming the option, nothing on stdout
            Assert.True(o.ExitCode == 2, $"{options}: exit {o.ExitCode}, {o.Stderr}");
            Assert.Single(o.StderrLines);
            Assert.StartsWith("pe-spectrum: ", o.Stderr);
            Assert.Contains(named, o.Stderr);
            Assert.Equal("", o.Stdout);
        }
    }

    [Fact]
    public void A_missing_run_is_exit_2_before_libtorch_loads()
    {
        using var w = new Workdir();
        var o = w.Run("pe-spectrum hessian runs/none --data d.csv -o -");
        Assert.Equal(2, o.ExitCode);
        Assert.Single(o.StderrLines);
        Assert.Contains("config.json", o.Stderr);
    }
}
