namespace PeTools.EndToEnd.Tests;

public class PeTrainTests
{
    [Fact]
    public void A_run_killed_with_SIGKILL_and_resumed_ends_bit_identical_to_an_uninterrupted_run()
    {
        // Given a dataset and one uninterrupted run
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(3000, 300));
        var train = $"pe-train --data d.csv --pe rope --epochs 8 {TinyData.SmallModel}";
        var a = w.Run($"{train} --out runs/a --metrics runs/a/metrics.csv");
        Assert.True(a.ExitCode == 0, a.Stderr);

        // When a second run is SIGKILLed after its first checkpoint, then resumed
        using (var p = w.Start($"{train} --out runs/b --metrics runs/b/metrics.csv"))
        {
            var state = w.PathOf("runs/b/checkpoint/state.json");
            var until = DateTime.UtcNow.AddSeconds(120);
            while (!File.Exists(state) && !p.HasExited && DateTime.UtcNow < until) Thread.Sleep(20);
            p.Kill(); // SIGKILL: no handler runs
            p.WaitForExit();
        }
        Assert.False(File.Exists(w.PathOf("runs/b/model.safetensors")), "the run finished before it could be killed");
        var b = w.Run($"{train} --out runs/b --metrics runs/b/metrics.csv --resume");
        Assert.True(b.ExitCode == 0, b.Stderr);

        // Then weights are byte-identical and so is every metric except throughput
        Assert.Equal(File.ReadAllBytes(w.PathOf("runs/a/model.safetensors")), File.ReadAllBytes(w.PathOf("runs/b/model.safetensors")));
        Assert.Equal(WithoutThroughput(w.PathOf("runs/a/metrics.csv")), WithoutThroughput(w.PathOf("runs/b/metrics.csv")));
        Assert.Equal(1 + 8 * 2, File.ReadAllLines(w.PathOf("runs/a/metrics.csv")).Length);
    }

    [Fact]
    public void A_standard_run_with_length_buckets_stopped_and_resumed_ends_bit_identical_and_reference_refuses_buckets()
    {
        // Given a dataset of varied lengths and one uninterrupted standard run (bucketed by default)
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(600, 100));
        var train = $"pe-train --data d.csv --pe alibi --arch standard --epochs 3 --batch-size 16 --bucket-window 4 {TinyData.SmallModel.Replace("--batch-size 32 ", "")}";
        var a = w.Run($"{train} --out a --metrics a.csv");
        Assert.True(a.ExitCode == 0, a.Stderr);

        // When a second run stops after one epoch and resumes (without repeating --bucket-window: it is inherited)
        Assert.Equal(0, w.Run($"{train} --out b --stop-after-epochs 1").ExitCode);
        var b = w.Run($"{train.Replace("--bucket-window 4 ", "")} --out b --metrics b.csv --resume");
        Assert.True(b.ExitCode == 0, b.Stderr);

        // Then both end byte-identical, the config records the window, and the reference architecture refuses one
        Assert.Equal(File.ReadAllBytes(w.PathOf("a/model.safetensors")), File.ReadAllBytes(w.PathOf("b/model.safetensors")));
        Assert.Contains("\"bucket_window\": 4", File.ReadAllText(w.PathOf("a/config.json")));
        var r = w.Run($"pe-train --data d.csv --pe rope --epochs 1 --bucket-window 4 {TinyData.SmallModel} --out r");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("option --bucket-window: expected 0 with --arch reference", r.Stderr);
    }

    private static string[] WithoutThroughput(string csv) =>
        File.ReadAllLines(csv).Select(l => l[..l.LastIndexOf(',')]).ToArray();

    [Fact]
    public void Metrics_to_stdout_are_a_csv_table_and_logs_stay_on_stderr()
    {
        // Given a dataset
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(200, 50));

        // When training with --metrics - into a pipe
        var o = w.Run($"pe-train --data d.csv --pe nope --epochs 2 {TinyData.SmallModel.Replace("-q", "")} --out r --metrics - | cut -d, -f3 | sort | uniq -c");

        // Then stdout holds only the table: a header and one train + one test row per epoch
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Contains("2 test", o.Stdout);
        Assert.Contains("2 train", o.Stdout);
        Assert.Contains("1 split", o.Stdout);
        Assert.Contains("pe-train: epoch 2:", o.Stderr);
    }

    [Fact]
    public void A_run_with_every_slow_oracle_learns_what_the_default_fast_paths_learn()
    {
        // Given a dataset
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(200, 50));

        // When the same run trains with the default fast paths and with --fast-paths none (every oracle)
        var fast = w.Run($"pe-train --data d.csv --pe alibi --epochs 2 {TinyData.SmallModel} --out fast --metrics fast.csv");
        var slow = w.Run($"pe-train --data d.csv --pe alibi --epochs 2 {TinyData.SmallModel.Replace("-q", "")} --fast-paths none --out slow --metrics slow.csv");

        // Then both succeed and every train and test loss agrees to float32 rounding (the paths sum in other orders)
        Assert.True(fast.ExitCode == 0, fast.Stderr);
        Assert.True(slow.ExitCode == 0, slow.Stderr);
        Assert.Contains("fast paths: none (None)", slow.Stderr);
        Assert.DoesNotContain("fast paths:", fast.Stderr);
        var a = File.ReadAllLines(w.PathOf("fast.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var b = File.ReadAllLines(w.PathOf("slow.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, a.Length);
        Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4 * Math.Abs(p.Second), $"{p.First} vs {p.Second}"));
    }

    [Theory]
    [InlineData("split,tokens\ntrain,3 1 4 2 5\n", "", "header: expected a column 'target'")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,3\ntrain,3 1 99 2,2\n", "", "row 2, column 'tokens': expected token ids in 1..39")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,30\n", "", "row 1, column 'target': expected a class in 0..15")]
    [InlineData("split,tokens,target\ntest,3 1 4 2 5,3\n", "", "column 'split': expected rows in a 'train' split, found splits test")]
    [InlineData("split,tokens,target\ntrain,3 x 4,3\n", "", "row 1, column 'tokens': expected list<int32>, found '3 x 4'")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,3\n", "--dropout 1.5", "option --dropout: expected a number in [0, 1), found 1.5")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,3\n", "--pe foo", "option --pe: expected one of nope, sinusoidal")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,3\n", "--fast-paths fastest", "option --fast-paths: expected one of all, none, no-flat")]
    [InlineData("split,tokens,target\ntrain,3 1 4 2 5,3\n", "--d-model 30", "option --heads: expected a divisor of --d-model 30, found 4")]
    public void Bad_input_is_one_line_on_stderr_and_exit_2(string csv, string extra, string expected)
    {
        // Given a malformed dataset or option
        using var w = new Workdir();
        w.Write("bad.csv", csv);

        // When training on it
        var o = w.Run($"pe-train --data bad.csv --epochs 1 {TinyData.SmallModelWith(extra)} --out r");

        // Then exit 2, exactly one line naming the problem, no stack trace, no run directory left behind
        Assert.Equal(2, o.ExitCode);
        Assert.Single(o.StderrLines);
        Assert.StartsWith("pe-train: ", o.Stderr);
        Assert.Contains(expected, o.Stderr);
        Assert.DoesNotContain("   at ", o.Stderr);
        Assert.False(File.Exists(w.PathOf("r/model.safetensors")));
    }
}
