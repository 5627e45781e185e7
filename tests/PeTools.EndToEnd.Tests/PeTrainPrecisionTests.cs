using System.Globalization;

namespace PeTools.EndToEnd.Tests;

public class PeTrainPrecisionTests
{
    [Fact]
    public void Bf16_training_follows_the_fp32_loss_curve_and_resumes_bit_exactly()
    {
        // Given one dataset, an fp32 run and a bf16 run (bf16 compute, fp32 master weights)
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(800, 200));
        var train = $"pe-train --data d.csv --pe rope --epochs 4 {TinyData.SmallModel}";
        Assert.Equal(0, w.Run($"{train} --out fp32 --metrics fp32.csv").ExitCode);
        Assert.Equal(0, w.Run($"{train} --precision bf16 --out bf16 --metrics bf16.csv").ExitCode);

        // When the bf16 run is also split in two and resumed
        Assert.Equal(0, w.Run($"{train} --precision bf16 --out split --stop-after-epochs 2").ExitCode);
        Assert.Equal(0, w.Run($"{train} --precision bf16 --out split --resume").ExitCode);

        // Then bf16's test loss stays within 2% of fp32's at every epoch, and the split run ends identical
        var fp32 = TestLosses(w.PathOf("fp32.csv"));
        var bf16 = TestLosses(w.PathOf("bf16.csv"));
        Assert.Equal(4, fp32.Length);
        for (int e = 0; e < fp32.Length; e++)
            Assert.True(Math.Abs(bf16[e] - fp32[e]) <= 0.02 * fp32[e], $"epoch {e + 1}: bf16 {bf16[e]} vs fp32 {fp32[e]}");
        Assert.Equal(File.ReadAllBytes(w.PathOf("bf16/model.safetensors")), File.ReadAllBytes(w.PathOf("split/model.safetensors")));
    }

    [Fact]
    public void Bf16_evaluation_reads_the_same_weights_and_needs_a_bf16_run()
    {
        // Given one dataset and a bf16 run, evaluated in fp32 (the default) and in bf16
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(800, 200));
        var train = $"pe-train --data d.csv --pe rope --epochs 2 --precision bf16 {TinyData.SmallModel}";
        Assert.Equal(0, w.Run($"{train} --out fp32-eval --metrics fp32-eval.csv").ExitCode);
        var bf16 = w.Run($"{train} --eval-precision bf16 --out bf16-eval --metrics bf16-eval.csv");

        // Then training is untouched (the same tensor bytes; only the config in the header differs) and the bf16 test
        // losses are the fp32 ones to bf16 rounding (≤ 2%), but not the same numbers: the evaluation ran on the bf16 copy
        Assert.True(bf16.ExitCode == 0, bf16.Stderr);
        Assert.Equal(TensorBytes(w.PathOf("fp32-eval/model.safetensors")), TensorBytes(w.PathOf("bf16-eval/model.safetensors")));
        var fp32Losses = TestLosses(w.PathOf("fp32-eval.csv"));
        var bf16Losses = TestLosses(w.PathOf("bf16-eval.csv"));
        Assert.Equal(2, bf16Losses.Length);
        for (int e = 0; e < 2; e++)
            Assert.True(Math.Abs(bf16Losses[e] - fp32Losses[e]) <= 0.02 * fp32Losses[e], $"epoch {e + 1}: {bf16Losses[e]} vs {fp32Losses[e]}");
        Assert.NotEqual(fp32Losses, bf16Losses);

        // And an fp32 run cannot evaluate in bf16: exit 2 with a one-line reason
        var bad = w.Run($"pe-train --data d.csv --pe rope --epochs 1 {TinyData.SmallModel} --eval-precision bf16 --out bad");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--eval-precision", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }

    /// <summary>A safetensors file past its header (8-byte little-endian length, then that much JSON).</summary>
    private static byte[] TensorBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes[(8 + (int)BitConverter.ToInt64(bytes, 0))..];
    }

    private static double[] TestLosses(string csv) => File.ReadAllLines(csv).Skip(1)
        .Select(l => l.Split(',')).Where(c => c[2] == "test")
        .Select(c => double.Parse(c[3], CultureInfo.InvariantCulture)).ToArray();
}
