namespace PeTools.EndToEnd.Tests;

/// <summary>pe-train --probe-every: gradient probes that never change training.</summary>
public class ProbeTrainTests
{
    // 400 training rows, batch 32: 13 steps per epoch, 39 in all; dropout on, so a probe drawing from its RNG would show.
    private const string Train = "pe-train --data d.csv --pe rope --epochs 3 --dropout 0.1 " + TinyData.SmallModel;

    [Fact]
    public void Probing_leaves_the_final_weights_byte_identical_and_writes_every_head_at_every_probe_step()
    {
        // Given a dataset and a run without probes
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(400, 50));
        var a = w.Run($"{Train} --out a");
        Assert.True(a.ExitCode == 0, a.Stderr);

        // When the same run probes every 5 steps
        var b = w.Run($"{Train} --out b --probe-every 5 --probe-rows 40 --probes b/probes.csv");
        Assert.True(b.ExitCode == 0, b.Stderr);

        // Then the weights are byte-identical
        Assert.Equal(File.ReadAllBytes(w.PathOf("a/model.safetensors")), File.ReadAllBytes(w.PathOf("b/model.safetensors")));
        Assert.False(File.Exists(w.PathOf("a/probes.parquet")));
        // And the table has 2 layers x 4 heads x 4 quantities at step 0, every 5 steps and the last step
        var rows = Rows(w.PathOf("b/probes.csv"));
        long[] steps = [0, 5, 10, 15, 20, 25, 30, 35, 39];
        Assert.Equal(steps, rows.Select(r => r.Step).Distinct().Order());
        Assert.All(rows.GroupBy(r => r.Step), g => Assert.Equal(2 * 4 * 4, g.Count()));
        Assert.Equal(["bias_coherence", "bias_grad_norm", "grad_wk_norm", "grad_wq_norm"], rows.Select(r => r.Quantity).Distinct().Order());
        Assert.All(rows.Where(r => r.Quantity == "bias_coherence"), r => Assert.InRange(r.Value, 0, 1 + 1e-6));
        Assert.All(rows.Where(r => r.Quantity != "bias_coherence"), r => Assert.True(r.Value > 0, $"{r}"));
    }

    [Fact]
    public void A_probed_run_stopped_and_resumed_ends_with_the_same_weights_and_probes_as_an_uninterrupted_one()
    {
        // Given an uninterrupted probed run
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(400, 50));
        var probe = "--probe-every 4 --probe-rows 40";
        var a = w.Run($"{Train} --out a {probe}");
        Assert.True(a.ExitCode == 0, a.Stderr);

        // When a second run stops after one epoch and is resumed
        var b1 = w.Run($"{Train} --out b {probe} --stop-after-epochs 1");
        Assert.True(b1.ExitCode == 0, b1.Stderr);
        Assert.False(File.Exists(w.PathOf("b/model.safetensors")));
        var b2 = w.Run($"{Train} --out b {probe} --resume");
        Assert.True(b2.ExitCode == 0, b2.Stderr);

        // Then weights and the probes table (rows from both invocations, none twice) are byte-identical
        Assert.Equal(File.ReadAllBytes(w.PathOf("a/model.safetensors")), File.ReadAllBytes(w.PathOf("b/model.safetensors")));
        Assert.Equal(File.ReadAllBytes(w.PathOf("a/probes.parquet")), File.ReadAllBytes(w.PathOf("b/probes.parquet")));
    }

    [Fact]
    public void Probes_to_stdout_are_refused_with_exit_2()
    {
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(100, 10));
        var o = w.Run($"{Train} --out r --probe-every 2 --probes -");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("--probes", o.Stderr);
    }

    private sealed record Row(long Step, int Layer, int Head, string Quantity, double Value);

    private static List<Row> Rows(string csv) => File.ReadAllLines(csv).Skip(1).Select(line => line.Split(','))
        .Select(f => new Row(long.Parse(f[0]), int.Parse(f[1]), int.Parse(f[2]), f[3],
            double.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture))).ToList();
}
