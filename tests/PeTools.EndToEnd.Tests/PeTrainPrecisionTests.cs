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

    private static double[] TestLosses(string csv) => File.ReadAllLines(csv).Skip(1)
        .Select(l => l.Split(',')).Where(c => c[2] == "test")
        .Select(c => double.Parse(c[3], CultureInfo.InvariantCulture)).ToArray();
}
