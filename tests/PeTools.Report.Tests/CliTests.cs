using System.Text;
using PeTools.Cli;
using PeTools.ReportTool.Commands;

namespace PeTools.Report.Tests;

/// <summary>pe-report in-process: what it writes, and exit 2 with one line (and nothing written) on bad input.</summary>
public class CliTests
{
    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        var context = new ToolContext(ReportRoot.ToolName, new MemoryStream(), stdout, stderr);
        int rc = ToolApp.Run(context, ReportRoot.Build(context), args);
        return (rc, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    private static Scratch TwoRuns()
    {
        var s = new Scratch();
        s.Write("runs/distance-rope-s0/metrics.csv", Scratch.MetricsCsv(0.5, 0.9));
        s.Write("runs/distance-nope-s0/metrics.csv", Scratch.MetricsCsv(0.04, 0.05));
        s.Write("claims.csv", "id,claim,paper,figure,rule\nC1,RoPE is best,92.64,Fig. 2,\"best(task=distance,pe=rope)\"\n" +
                              "C5,NoPE fails,3.51,Table,\"below(task=distance,pe=nope,value=0.1)\"\n");
        return s;
    }

    private static void AssertOneLineError((int Code, string Stdout, string Stderr) r, string message)
    {
        Assert.Equal(2, r.Code);
        Assert.Equal($"pe-report: {message}\n", r.Stderr.Replace("\r", ""));
    }

    [Fact]
    public void A_folder_of_runs_with_claims_gives_the_report_files_and_the_verdicts_on_stdout()
    {
        using var s = TwoRuns();
        var r = Run(s["runs"], "--claims", s["claims.csv"], "--verdicts", "-", "-o", s["report"], "-q");
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Stderr);
        var lines = r.Stdout.Trim().Split('\n');
        Assert.Equal("id,verdict,claim,paper,ours,reason,figure,rule", lines[0]);
        Assert.StartsWith("C1,reproduced,RoPE is best,92.64,", lines[1]);
        Assert.StartsWith("C5,reproduced,NoPE fails,3.51,nope 0.050 (n=1),", lines[2]);
        Assert.True(File.Exists(s["report/report.md"]));
        Assert.True(File.Exists(s["report/report.html"]));
        Assert.True(File.Exists(s["report/figures/curves-distance.png"]));
        Assert.True(File.Exists(s["report/figures/curves-distance.svg"]));
        Assert.Contains("| **C1** RoPE is best | 92.64 |", File.ReadAllText(s["report/report.md"]));
    }

    [Fact]
    public void The_same_tables_give_the_same_bytes_and_stale_figures_are_removed()
    {
        using var s = TwoRuns();
        Assert.Equal(0, Run(s["runs"], "-o", s["r1"], "-q").Code);
        File.WriteAllText(s["r1/figures/old-figure.png"], "stale");
        Assert.Equal(0, Run(s["runs"], "-o", s["r1"], "-q").Code);
        Assert.Equal(0, Run(s["runs"], "-o", s["r2"], "-q").Code);
        Assert.False(File.Exists(s["r1/figures/old-figure.png"]));
        foreach (var f in new[] { "report.md", "report.html", "figures/curves-distance.png", "figures/curves-distance.svg" })
            Assert.Equal(File.ReadAllBytes(s["r1/" + f]), File.ReadAllBytes(s["r2/" + f]));
    }

    [Fact]
    public void A_bad_rule_is_exit_2_naming_file_row_and_column_and_nothing_is_written()
    {
        using var s = TwoRuns();
        s.Write("bad.csv", "id,claim,paper,figure,rule\nC1,x,y,z,\"best(task=distance,pe=rope)\"\nC2,x,y,z,\"best(task=distance,pe=rope,size=big)\"\n");
        AssertOneLineError(Run(s["runs"], "--claims", s["bad.csv"], "-o", s["report"]),
            $"{s["bad.csv"]}: row 2, column 'rule': expected best: only the keys among, pe, task, found 'size'");
        Assert.False(Directory.Exists(s["report"]));
    }

    [Fact]
    public void A_malformed_metrics_cell_is_exit_2_naming_file_row_and_column_and_nothing_is_written()
    {
        using var s = TwoRuns();
        s.Write("runs/distance-alibi-s0/metrics.csv", "step,epoch,split,loss,accuracy,lr,tokens_per_s\n10,1,test,1,high,0.001,0\n");
        var r = Run(s["runs"], "-o", s["report"]);
        Assert.Equal(2, r.Code);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("distance-alibi-s0/metrics.csv: row 1, column 'accuracy'", r.Stderr);
        Assert.False(Directory.Exists(s["report"]));
    }

    [Fact]
    public void No_input_tables_and_verdicts_without_claims_are_usage_errors()
    {
        using var s = TwoRuns();
        AssertOneLineError(Run("-o", s["report"]), "no input tables: give files, folders, globs or - (see pe-report --help)");
        AssertOneLineError(Run(s["runs"], "--verdicts", "-", "-o", s["report"]), "option --verdicts: expected --claims FILE beside it, found '-'");
        s.Write("only/data.csv", "split,tokens,target\ntrain,1 2,3\n");
        AssertOneLineError(Run(s["only"], "-o", s["report"], "-q"),
            "none of the inputs is a table pe-report reads (metrics, head-ablation, positional-vectors, dynamics-drops, dynamics-summary, probes, spectrum, contraction, hessian)");
    }

    [Fact]
    public void Rules_lists_every_rule_of_the_registry_as_a_table()
    {
        var r = Run("rules");
        Assert.Equal(0, r.Code);
        var lines = r.Stdout.Trim().Split('\n');
        Assert.Equal("name,usage,description", lines[0]);
        Assert.Equal(Claims.ClaimRules.All.Count, lines.Length - 1);
        Assert.StartsWith("best,", lines[1]);
    }
}
