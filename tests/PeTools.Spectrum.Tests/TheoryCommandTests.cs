using PeTools.Core.Spectral;
using static PeTools.Spectrum.Tests.SpectrumRun;

namespace PeTools.Spectrum.Tests;

public class TheoryCommandTests
{
    public static IEnumerable<object[]> Pes => TheoryEncodings.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Pes))]
    public void Every_bound_beside_a_measured_value_holds(string pe)
    {
        // Given a theory run for each registered PE
        var run = Of("theory", "--pe", pe, "--n", "48", "--d-head", "8", "-q", "-o", "-");
        Assert.Equal(0, run.ExitCode);
        var bounded = run.Rows().Where(r => r["bound"] != "none").ToList();
        // Then it reports bounds, and each contains its measured value
        Assert.NotEmpty(bounded);
        foreach (var r in bounded)
        {
            double value = Number(r["value"]), bound = Number(r["bound_value"]);
            double slack = 1e-9 * Math.Max(1, Math.Abs(bound));
            if (r["quantity"] == "lambda_min") Assert.True(value >= bound - slack, $"{pe} {r["matrix"]} {r["bound"]}: λ_min {value} < {bound}");
            else Assert.True(value <= bound + slack, $"{pe} {r["matrix"]} {r["bound"]}: {r["quantity"]} {value} > {bound}");
        }
    }

    [Fact]
    public void Rope_reports_the_single_frequency_similarity_defect_at_rounding_level()
    {
        var run = Of("theory", "--pe", "rope", "--n", "40", "--d-head", "8", "-q", "-o", "-");
        var defects = run.Rows().Where(r => r["quantity"] == "similarity_defect").ToList();
        Assert.Equal(4, defects.Count); // one per frequency t = 0 … d/2 − 1
        Assert.All(defects, r => Assert.True(Number(r["value"]) < 1e-10, r["value"]));
    }

    [Fact]
    public void Dense_output_lists_every_eigenvalue_ascending()
    {
        var rows = Of("theory", "--pe", "alibi", "--n", "30", "-q", "-o", "-").Rows();
        var ev = rows.Where(r => r["matrix"] == "kernel" && r["quantity"] == "eigenvalue").ToList();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i.ToString()), ev.Select(r => r["index"]));
        var values = ev.Select(r => Number(r["value"])).ToList();
        Assert.Equal(values.OrderBy(v => v), values);
    }

    [Theory]
    [InlineData("alibi")]
    [InlineData("t5")]
    [InlineData("rope")]
    public void Structured_solver_agrees_with_dense_solver(string pe)
    {
        Dictionary<(string, string), double> Extremes(string solver) =>
            Of("theory", "--pe", pe, "--n", "200", "--solver", solver, "-q", "-o", "-").Rows()
                .Where(r => r["bound"] == "none" && r["quantity"] is "lambda_min" or "lambda_max" or "spectral_norm")
                .GroupBy(r => (r["matrix"], r["quantity"])).ToDictionary(g => g.Key, g => Number(g.First()["value"]));
        var dense = Extremes("dense");
        var structured = Extremes("structured");
        Assert.Equal(dense.Keys.OrderBy(k => k), structured.Keys.OrderBy(k => k));
        double scale = dense.Values.Max(Math.Abs);
        foreach (var (key, v) in dense)
            Assert.True(Math.Abs(v - structured[key]) <= 1e-8 * scale, $"{key}: dense {v}, structured {structured[key]}");
    }

    [Fact]
    public void Structured_rows_carry_the_lanczos_certificate()
    {
        var rows = Of("theory", "--pe", "alibi", "--n", "300", "--solver", "structured", "-q", "-o", "-").Rows();
        var certificates = rows.Where(r => r["quantity"] == "residual_bound").ToList();
        Assert.Equal(["kernel", "content", "logit"], certificates.Select(r => r["matrix"]));
        Assert.All(certificates, r => Assert.True(Number(r["value"]) <= 1e-12, r["value"]));
        Assert.DoesNotContain(rows, r => r["quantity"] == "eigenvalue");
    }

    [Fact]
    public void Same_seed_gives_identical_bytes_and_another_seed_does_not()
    {
        var a = Of("theory", "--pe", "t5", "--n", "20", "--seed", "3", "-q", "-o", "-");
        var b = Of("theory", "--pe", "t5", "--n", "20", "--seed", "3", "-q", "-o", "-");
        var c = Of("theory", "--pe", "t5", "--n", "20", "--seed", "4", "-q", "-o", "-");
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.NotEqual(a.Stdout, c.Stdout);
    }

    [Theory]
    [InlineData("rope.parquet")]
    [InlineData("rope.csv")]
    public void Output_to_a_file_is_written_whole(string name)
    {
        var dir = Directory.CreateTempSubdirectory("pe-spectrum-test");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            var run = Of("theory", "--pe", "rope", "--n", "16", "-q", "-o", path);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal("", run.Stdout);
            Assert.True(new FileInfo(path).Length > 0);
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temp file left beside it
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("option --pe: expected nope|rope|sinusoidal|alibi|alibi-std|t5, found 'foo'", "--pe", "foo")]
    [InlineData("option --d-head: expected an even integer ≥ 2 (RoPE pairs coordinates), found 7", "--pe", "rope", "--d-head", "7")]
    [InlineData("option --n: expected an integer ≥ 2, found 1", "--pe", "rope", "--n", "1")]
    [InlineData("option --solver: expected dense|structured|auto, found 'lapack'", "--pe", "rope", "--solver", "lapack")]
    [InlineData("option --head: expected an integer in 0…15, found 16", "--pe", "alibi", "--head", "16")]
    [InlineData("option --base: expected a finite number > 1, found 1", "--pe", "rope", "--base", "1")]
    [InlineData("option --content: expected random, found 'trained'", "--pe", "rope", "--content", "trained")]
    public void Bad_options_exit_2_with_one_line(string message, params string[] args)
    {
        var run = Of(["theory", .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"pe-spectrum: {message}\n", run.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Parse_errors_exit_2_and_point_to_help()
    {
        var run = Of("theory", "--pe", "rope", "--bogus");
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.EndsWith("(see pe-spectrum theory --help)", run.Stderr.Trim());
    }

    [Theory]
    [InlineData("theory")]
    [InlineData("contraction")]
    public void Help_ends_with_two_to_four_examples(string command)
    {
        var run = Of(command, "--help");
        Assert.Equal(0, run.ExitCode);
        var examples = run.Stdout[run.Stdout.IndexOf("Examples:", StringComparison.Ordinal)..];
        int count = examples.Split('\n').Count(l => l.TrimStart().StartsWith("pe-spectrum " + command, StringComparison.Ordinal));
        Assert.InRange(count, 2, 4);
    }
}
