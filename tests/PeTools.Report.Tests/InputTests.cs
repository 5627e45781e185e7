using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Report.Inputs;

namespace PeTools.Report.Tests;

/// <summary>How pe-report finds its tables, tells their kind and the run each belongs to.</summary>
public class InputTests
{
    [Theory]
    [InlineData("rope", "mha", null, "rope")]
    [InlineData("rope", "mla", null, "rope/mla")]
    [InlineData("rope", "mha", 2, "rope:k2")]
    [InlineData("rope-abs", "mha", null, "rope-abs")]
    public void A_run_config_gives_task_variant_and_seed(string pe, string attention, int? k, string variant)
    {
        var run = new RunResolver().FromConfig(Scratch.ConfigJson(pe, 3, "data/count-small.parquet", attention, k), "config.json", ".", "test");
        Assert.Equal($"count/{variant}/s3", run.Name);
        Assert.Equal(4, run.Heads);
    }

    [Theory]
    [InlineData("distance-rope-abs-mha-s0", "distance/rope-abs/s0")]
    [InlineData("distance-rope-mla-s2", "distance/rope/mla/s2")]
    [InlineData("count-rope-k4-s1", "count/rope:k4/s1")]
    [InlineData("count-alibi-s10-3fa9c2d1", "count/alibi/s10")]
    public void A_file_name_TASK_PE_sSEED_names_its_run(string name, string expected) =>
        Assert.Equal(expected, RunResolver.FromName(name)!.Name);

    [Theory]
    [InlineData("metrics")]
    [InlineData("rope-s0")]
    [InlineData("poetry-rope-s0")]
    public void Other_names_name_no_run(string name) => Assert.Null(RunResolver.FromName(name));

    [Fact]
    public void A_malformed_config_json_is_a_one_line_input_error()
    {
        var e = Assert.Throws<InputError>(() => new RunResolver().FromConfig("{\"model\": {}}", "runs/x/config.json", ".", "test"));
        Assert.Equal("runs/x/config.json: run config: expected a key 'train', found none", e.Message);
    }

    [Fact]
    public void Folders_and_globs_are_expanded_and_non_report_tables_in_them_skipped()
    {
        using var s = new Scratch();
        s.Write("runs/a/config.json", Scratch.ConfigJson("rope", 0));
        s.Write("runs/a/metrics.csv", Scratch.MetricsCsv(0.5, 0.9));
        s.Write("runs/b/config.json", Scratch.ConfigJson("nope", 0));
        s.Write("runs/b/metrics.csv", Scratch.MetricsCsv(0.1));
        s.Write("runs/data.csv", "split,tokens,target\ntrain,1 2,3\n");
        var folder = new InputLoader(SilentLog.Instance).Load([s["runs"]]);
        Assert.Equal(["distance/rope/s0", "distance/nope/s0"], folder.Tables.Select(t => t.Run!.Name));
        Assert.Equal("dataset tables are not reported", Assert.Single(folder.Skipped).Reason);
        var glob = new InputLoader(SilentLog.Instance).Load([s.Dir + "/runs/*/metrics.csv"]);
        Assert.Equal(2, glob.Tables.Count);
        Assert.All(glob.Tables, t => Assert.Equal("config.json", t.Run!.Source));
    }

    [Fact]
    public void A_named_file_must_be_a_table_pe_report_reads()
    {
        using var s = new Scratch();
        var data = s.Write("data.csv", "split,tokens,target\ntrain,1 2,3\n");
        var e = Assert.Throws<InputError>(() => new InputLoader(SilentLog.Instance).Load([data]));
        Assert.StartsWith($"{data}: header: expected a table pe-report reads (metrics, head-ablation,", e.Message);
        Assert.EndsWith("found a dataset table", e.Message);
    }

    [Fact]
    public void A_per_run_table_without_any_run_identity_is_an_error_naming_the_ways_to_give_one()
    {
        using var s = new Scratch();
        var m = s.Write("m.csv", Scratch.MetricsCsv(0.5));
        var e = Assert.Throws<InputError>(() => new InputLoader(SilentLog.Instance).Load([m]));
        Assert.Equal($"{m}: run: expected pe_tools.run_config metadata, a config.json beside it, or a name TASK-PE-sSEED " +
                     "(which run is this metrics table?), found none of these", e.Message);
    }

    [Fact]
    public void Two_metrics_tables_of_one_run_are_an_error_and_a_glob_matching_nothing_too()
    {
        using var s = new Scratch();
        var a = s.Write("distance-rope-s0.metrics.csv", Scratch.MetricsCsv(0.5));
        var b = s.Write("old/distance-rope-s0.metrics.csv", Scratch.MetricsCsv(0.4));
        var e = Assert.Throws<InputError>(() => new InputLoader(SilentLog.Instance).Load([a, b]));
        Assert.Equal($"{b}: run: expected one metrics table per run, found a second one for distance/rope/s0 (the first is {a})", e.Message);
        var none = Assert.Throws<InputError>(() => new InputLoader(SilentLog.Instance).Load([s.Dir + "/*.parquet"]));
        Assert.EndsWith("glob: expected at least one matching file, found none", none.Message);
    }

    [Fact]
    public void Stdin_is_read_once_and_its_kind_told_from_its_columns()
    {
        using var s = new Scratch();
        var stdin = new MemoryStream("pe,coupling,n,d_head,d_model,norm,instances,statistic,mean,ci_low,ci_high,median,std,finite\nrope,multiplicative,32,16,64,x,5,spread,1,0.9,1.1,1,0.1,5\n"u8.ToArray());
        var set = new InputLoader(SilentLog.Instance, stdin).Load(["-"]);
        var t = Assert.Single(set.Tables);
        Assert.Equal(("contraction", "<stdin>", 1), (t.Kind, t.Path, t.Rows.RowCount));
    }
}
