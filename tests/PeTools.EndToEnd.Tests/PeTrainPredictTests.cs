using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeTools.EndToEnd.Tests;

public class PeTrainPredictTests
{
    [Fact]
    public void Predict_over_a_whole_split_reproduces_the_runs_final_test_accuracy_and_writes_its_inputs_and_logits()
    {
        // Given a trained run and its metrics
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(400, 70));
        var t = w.Run($"pe-train --data d.csv --pe rope --epochs 3 {TinyData.SmallModel} --out run --metrics run/metrics.csv");
        Assert.True(t.ExitCode == 0, t.Stderr);
        var finalTest = File.ReadAllLines(w.PathOf("run/metrics.csv")).Last(l => l.Split(',')[2] == "test").Split(',');

        // When predicting with --rows covering the whole test split
        var p = w.Run("pe-train predict run --data d.csv --split test --rows 100000 --logits pred.safetensors -q > preds.csv");
        Assert.True(p.ExitCode == 0, p.Stderr);

        // Then the table has one row per test row and its accuracy is the run's final test accuracy
        var lines = File.ReadAllLines(w.PathOf("preds.csv"));
        Assert.Equal("row,split,target,predicted,correct,loss", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(70, rows.Count);
        Assert.All(rows, r => Assert.Equal(r[2] == r[3] ? "1" : "0", r[4]));
        double accuracy = rows.Average(r => int.Parse(r[4], CultureInfo.InvariantCulture));
        Assert.Equal(double.Parse(finalTest[4], CultureInfo.InvariantCulture), accuracy, 12);

        // And the safetensors file holds tokens (N, T) int64, logits (N, C) float32, targets (N) int64,
        // with the tokens exactly the padded test rows and the targets those of the table
        var (header, data) = ReadSafeTensors(w.PathOf("pred.safetensors"));
        Assert.Equal(["logits", "targets", "tokens"], header.Keys.Where(k => k != "__metadata__").Order().ToArray());
        Assert.Equal("F32 [70,16]", Describe(header["logits"]));
        Assert.Equal("I64 [70]", Describe(header["targets"]));
        Assert.Equal("I64 [70,24]", Describe(header["tokens"])); // reference arch pads to --max-len 24
        var firstTest = File.ReadAllLines(w.PathOf("d.csv")).Skip(1).First(l => l.StartsWith("test,")).Split(',');
        var want = firstTest[1].Split(' ').Select(long.Parse).Concat(Enumerable.Repeat(0L, 24)).Take(24).ToArray();
        Assert.Equal(want, Int64s(data, header["tokens"]).Take(24).ToArray());
        Assert.Equal(rows.Select(r => long.Parse(r[2], CultureInfo.InvariantCulture)), Int64s(data, header["targets"]));
    }

    [Fact]
    public void Predict_takes_only_the_first_rows_and_refuses_an_unknown_split_with_exit_2()
    {
        // Given a trained run
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(100, 30));
        Assert.Equal(0, w.Run($"pe-train --data d.csv --pe alibi --arch standard --epochs 1 {TinyData.SmallModel} --out run").ExitCode);

        // When predicting 5 rows of train, and then a split the data lacks
        var five = w.Run("pe-train predict run --data d.csv --split train --rows 5 --logits p.safetensors -q");
        var bad = w.Run("pe-train predict run --data d.csv --split dev -q");

        // Then 5 rows come out (standard arch: padded to the split's longest row only), and the bad split is one line
        Assert.True(five.ExitCode == 0, five.Stderr);
        Assert.Equal(6, five.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var (header, _) = ReadSafeTensors(w.PathOf("p.safetensors"));
        Assert.Equal(5, Spec(header["tokens"]).Shape[0]);
        Assert.True(Spec(header["tokens"]).Shape[1] <= 20);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("pe-train: option --split: expected one of test, train, found 'dev'", bad.Stderr.Trim());
    }

    // Read independently of the writer (SafeTensors.cs): 8-byte little-endian header length, JSON header, data.
    private static (Dictionary<string, JsonElement> Header, byte[] Data) ReadSafeTensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Encoding.UTF8.GetString(bytes, 8, n))!;
        return (header, bytes[(8 + n)..]);
    }

    private static string Describe(JsonElement e) => $"{Spec(e).DType} [{string.Join(',', Spec(e).Shape)}]";

    private static (string DType, long[] Shape) Spec(JsonElement e) =>
        (e.GetProperty("dtype").GetString()!, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray());

    private static IEnumerable<long> Int64s(byte[] data, JsonElement e)
    {
        var o = e.GetProperty("data_offsets").EnumerateArray().Select(x => (int)x.GetInt64()).ToArray();
        for (int at = o[0]; at < o[1]; at += 8) yield return BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at));
    }
}
