namespace PeTools.EndToEnd.Tests;

/// <summary>bench/train/precision-accuracy.sh on CPU with a tiny model: the script issue #11's bf16-against-fp32
/// accuracy runs come from, through examples/gpu/grid.sh and the real tools.</summary>
public class PrecisionAccuracyScriptTests
{
    [Fact]
    public void Each_seed_and_precision_trains_to_the_end_of_its_schedule_and_the_summary_gathers_the_last_test_rows()
    {
        // Given a tiny distance task and model on CPU
        using var w = new Workdir();
        var script = Path.Combine(Workdir.RepoRoot, "bench", "train", "precision-accuracy.sh");
        var env = $"DEVICE=cpu DATA_DIR={w.PathOf("data")} RUNS_ROOT={w.PathOf("runs")} " +
                  "GEN_ARGS='--n-train 120 --n-test 60 --seq-len 16 --max-between 6 --max-side 4' " +
                  "EXTRA_ARGS='--layers 1 --d-model 32 --d-ff 64 --heads 2 --batch-size 32 --max-len 16'";

        // When two seeds train in bf16 and fp32 over a 2-epoch schedule
        var o = w.Run($"{env} bash {script} .bin out 2 distance/rope '0 1' 'bf16 fp32'");

        // Then final.csv has the epoch-2 test row of each of the four runs and summary.txt one line per precision
        Assert.True(o.ExitCode == 0, o.Stderr);
        var rows = File.ReadAllLines(w.PathOf("out/final.csv"));
        Assert.Equal("precision,run,epoch,test_loss,test_accuracy", rows[0]);
        Assert.Equal(["bf16,distance-rope-mha-s0,2", "bf16,distance-rope-mha-s1,2", "fp32,distance-rope-mha-s0,2", "fp32,distance-rope-mha-s1,2"],
            rows.Skip(1).Select(r => string.Join(',', r.Split(',').Take(3))));
        var summary = File.ReadAllLines(w.PathOf("out/summary.txt"));
        Assert.Equal(2, summary.Length);
        Assert.StartsWith("bf16: 2 runs, final test accuracy", summary[0]);
        Assert.StartsWith("fp32: 2 runs, final test accuracy", summary[1]);

        // And the learning rate of the last epoch is the end of the cosine (the schedule ran to its end)
        var lastLr = double.Parse(File.ReadAllLines(w.PathOf("out/fp32/distance-rope-mha-s0.metrics.csv"))[^1].Split(',')[5],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(lastLr < 1e-5, $"{lastLr}");
    }
}
