namespace PeTools.EndToEnd.Tests;

/// <summary>pe-report as a user runs it: on tables the other tools wrote, on the committed GPU results, in Chromium.</summary>
public class PeReportTests
{
    private const string Claims = """
        id,claim,paper,figure,rule
        C1,RoPE best on distance,92.64,Fig. 2,"best(task=d,pe=rope)"
        C8,deposit in layer 0,0.97 -> 0.47,Fig. 4,"deposit(task=d,pe=rope,layers=first)"
        C20,flatter loss with RoPE,none,v1,"sharpness_less(a=rope,b=alibi)"
        """;

    [Fact]
    public void Train_ablate_and_report_gives_a_report_whose_every_image_decodes_in_chromium()
    {
        // Given two small runs (RoPE, NoPE) trained by pe-train and RoPE ablated by pe-heads, in their run folders
        using var w = new Workdir();
        w.Write("d.csv", TinyData.DistanceCsv(300, 80));
        w.Write("claims.csv", Claims);
        var o = w.Run(string.Join(" && ",
            $"pe-train --data d.csv --pe rope --epochs 2 {TinyData.SmallModel} --out runs/rope",
            $"pe-train --data d.csv --pe nope --epochs 2 {TinyData.SmallModel} --out runs/nope",
            "pe-heads ablate runs/rope --data d.csv --threads 1 -q -o runs/rope/ablate.parquet",
            // When pe-report reads the run folders (metrics.parquet carries the run config) with the claims
            "pe-report runs --claims claims.csv --verdicts - -o report -q"));

        // Then the verdicts name the run's numbers, the report files exist and Chromium decodes every figure
        Assert.True(o.ExitCode == 0, o.Stderr);
        var lines = o.Stdout.Trim().Split('\n');
        Assert.Equal("id,verdict,claim,paper,ours,reason,figure,rule", lines[0]);
        Assert.Matches("^C1,(reproduced|not reproduced|inconclusive),", lines[1]);
        Assert.StartsWith("C20,inconclusive,", lines[3]);
        Assert.Contains("no hessian (sharpness) table among the inputs", lines[3]);
        var md = File.ReadAllText(w.PathOf("report/report.md"));
        Assert.Contains("## Head ablation: the single-head deposit", md);
        Assert.Contains("| `runs/rope/metrics.parquet` | metrics | d/rope/s0 |", md);
        var check = HeadlessChromium.Check(w.PathOf("report/report.html"));
        Assert.Equal(Directory.GetFiles(w.PathOf("report/figures"), "*.png").Length, check.Images);
        Assert.Equal(3, check.Images); // curves, the RoPE heatmap, the drop boxes
        Assert.Empty(check.Broken);
        Assert.Empty(check.Errors);
    }

    [Fact]
    public void Chromium_check_finds_a_broken_image()
    {
        // Given the report of the committed GPU metrics, with one figure's PNG bytes damaged in the HTML
        using var w = new Workdir();
        var o = w.Run($"pe-report '{Workdir.RepoRoot}/examples/results/gpu/grid/*.metrics.csv' -o report -q");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var html = File.ReadAllText(w.PathOf("report/report.html"));
        var at = html.IndexOf("data:image/png;base64,", StringComparison.Ordinal) + "data:image/png;base64,".Length;
        w.Write("broken.html", html[..at] + "AAAA" + html[(at + 4)..]);

        // When Chromium opens it
        var check = HeadlessChromium.Check(w.PathOf("broken.html"));

        // Then that image, and only it, is reported broken, with its error event
        Assert.Equal(2, check.Images); // the two training-curve figures
        Assert.Single(check.Broken);
        Assert.Contains("error: IMG", check.Errors);
    }

    [Fact]
    public void The_committed_gpu_results_give_their_numbers_and_verdicts()
    {
        // Given examples/results/gpu (CSV tables named TASK-PE-ATTENTION-sSEED) and the paper's claims
        using var w = new Workdir();
        var root = Workdir.RepoRoot;

        // When pe-report expands the quoted globs itself
        var o = w.Run($"pe-report '{root}/examples/results/gpu/grid/*.metrics.csv' '{root}/examples/results/gpu/grid/*.ablate.csv' " +
                      $"{root}/examples/results/contraction.csv --claims {root}/examples/paper/claims.csv --verdicts v.csv -o gpu -q");

        // Then the report has the three RoPE seeds, and the verdicts match examples/results/README.md at epoch 10
        Assert.True(o.ExitCode == 0, o.Stderr);
        var md = File.ReadAllText(w.PathOf("gpu/report.md"));
        Assert.Contains("| `rope` | 0.287 ± 0.059 (n=3) |", md);
        Assert.Contains("| `rope-abs` | 0.510 (n=1) |", md);
        var verdicts = File.ReadAllLines(w.PathOf("v.csv"));
        Assert.StartsWith("C1,not reproduced,", verdicts[1]);  // rope-abs 0.51 and sinusoidal 0.37 above RoPE
        Assert.StartsWith("C5,reproduced,", verdicts[5]);      // NoPE 0.049
        Assert.StartsWith("C12,reproduced,", verdicts[12]);    // rope-abs: layer 0 none, layer 1 head 12
        Assert.Empty(HeadlessChromium.Check(w.PathOf("gpu/report.html")).Broken);
    }

    [Fact]
    public void Metrics_on_stdin_name_no_run_and_give_exit_2_with_one_line()
    {
        using var w = new Workdir();
        w.Write("m.csv", "step,epoch,split,loss,accuracy,lr,tokens_per_s\n10,1,test,1,0.5,0.001,0\n");
        var o = w.Run("cat m.csv | pe-report - -o r");
        Assert.Equal(2, o.ExitCode);
        Assert.Equal(["pe-report: <stdin>: run: expected pe_tools.run_config metadata, a config.json beside it, or a name TASK-PE-sSEED " +
                      "(which run is this metrics table?), found none of these"], o.StderrLines);
        Assert.False(Directory.Exists(w.PathOf("r")));
    }
}
