namespace PeTools.EndToEnd.Tests;

/// <summary>pe-spectrum logits as a user runs it: on a run pe-train made, in bash.</summary>
public class LogitsTests
{
    [Fact]
    public void Logits_of_a_trained_alibi_run_give_one_row_set_per_layer_and_head_with_parts()
    {
        // Given a tiny trained ALiBi run (two layers, four heads)
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(200, 40));
        var trained = w.Run($"pe-train --data d.csv --pe alibi --epochs 1 {TinyData.SmallModel} --out runs/a");
        Assert.True(trained.ExitCode == 0, trained.Stderr);

        // When its logit spectra are read on 8 test sequences, piped through bash
        var o = w.Run("pe-spectrum logits runs/a --data d.csv --rows 8 --layers 0-1 -q -o - | cat");

        // Then exit 0, the logit-spectrum header, every (layer, head) with the trained logit and the ALiBi bias part
        Assert.True(o.ExitCode == 0, o.Stderr);
        var lines = o.Stdout.Trim().Split('\n');
        Assert.Equal("pe,layer,head,split,sequences,matrix,quantity,mean,std", lines[0]);
        foreach (var layer in new[] { 0, 1 })
            foreach (var head in new[] { 0, 1, 2, 3 })
            {
                Assert.Contains(lines, l => l.StartsWith($"alibi,{layer},{head},test,8,trained-logit,toeplitz_share,"));
                Assert.Contains(lines, l => l.StartsWith($"alibi,{layer},{head},test,8,trained-logit,spectral_norm,"));
                Assert.Contains(lines, l => l.StartsWith($"alibi,{layer},{head},test,8,logit-part:bias,frobenius_share,"));
            }
        Assert.Equal("", o.Stderr);

        // And a layer out of range, or a missing run, is exit 2 with one line
        var bad = w.Run("pe-spectrum logits runs/a --data d.csv --layers 7 -o -");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.StderrLines);
        Assert.Contains("--layers", bad.Stderr);
        var missing = w.Run("pe-spectrum logits runs/none --data d.csv -o -");
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.StderrLines);
    }
}
