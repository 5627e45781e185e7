using static PeTools.Spectrum.Tests.SpectrumRun;

namespace PeTools.Spectrum.Tests;

public class ContractionCommandTests
{
    private static IReadOnlyList<Dictionary<string, string>> Small(params string[] extra) =>
        Of(["contraction", "--n", "24,40", "--d-head", "8", "--instances", "8", "-q", "-o", "-", .. extra]).Rows();

    private static double Mean(IEnumerable<Dictionary<string, string>> rows, string pe, string statistic, int n) =>
        Number(rows.Single(r => r["pe"] == pe && r["statistic"] == statistic && r["n"] == n.ToString())["mean"]);

    [Fact]
    public void Every_pe_appears_for_every_cell_with_its_coupling()
    {
        var rows = Small();
        foreach (var n in new[] { 24, 40 })
            foreach (var (pe, coupling) in new[] { ("nope", "none"), ("rope", "multiplicative"), ("alibi", "additive"), ("t5", "additive"), ("sinusoidal", "additive") })
                Assert.Contains(rows, r => r["pe"] == pe && r["coupling"] == coupling && r["n"] == n.ToString() && r["statistic"] == "spread");
    }

    [Fact]
    public void Rope_single_frequency_similarity_holds_and_every_bound_holds_in_every_instance()
    {
        var rows = Small();
        Assert.All(rows.Where(r => r["statistic"] == "similarity_defect"), r => Assert.True(Number(r["mean"]) < 1e-10));
        Assert.All(rows.Where(r => r["statistic"] == "bound_holds"), r => Assert.Equal(1.0, Number(r["mean"])));
    }

    [Fact]
    public void Matched_norms_make_the_alibi_slope_irrelevant()
    {
        // ALiBi's two slope conventions differ only by a scale, which matching the Frobenius norm removes.
        var rows = Small();
        foreach (var n in new[] { 24, 40 })
            Assert.Equal(Mean(rows, "alibi", "spread", n), Mean(rows, "alibi-std", "spread", n), 1e-9);
    }

    [Fact]
    public void Spread_is_per_unit_frobenius_norm_so_it_never_exceeds_root_two()
    {
        // |λ_min| + |λ_max| ≤ √2 ‖H‖_F ≤ √2 ‖L‖_F: a normalisation slip would break this.
        var rows = Small();
        Assert.All(rows.Where(r => r["statistic"] == "spread"), r => Assert.InRange(Number(r["ci_high"]), 0, Math.Sqrt(2)));
    }

    [Fact]
    public void Confidence_interval_contains_the_mean_for_both_interval_kinds()
    {
        foreach (var ci in new[] { "bootstrap", "t" })
            Assert.All(Small("--ci", ci).Where(r => r["statistic"] == "spread"), r =>
                Assert.InRange(Number(r["mean"]), Number(r["ci_low"]), Number(r["ci_high"])));
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        Assert.Equal(
            Of("contraction", "--n", "20", "--d-head", "4", "--instances", "6", "--threads", "1", "-q", "-o", "-").Stdout,
            Of("contraction", "--n", "20", "--d-head", "4", "--instances", "6", "--threads", "2", "-q", "-o", "-").Stdout);
    }

    [Theory]
    [InlineData("option --instances: expected an integer ≥ 2, found 1", "--instances", "1")]
    [InlineData("option --ratio: expected a finite number > 0, found 0", "--ratio", "0")]
    [InlineData("option --n: expected lengths ≤ 1024 (every instance runs a dense EVD and SVD), found 2048", "--n", "2048")]
    [InlineData("option --pe: expected a comma-separated list of nope|rope|sinusoidal|alibi|alibi-std|t5, found 'xpos'", "--pe", "rope,xpos")]
    [InlineData("option --ci: expected bootstrap|t, found 'bca'", "--ci", "bca")]
    [InlineData("option --d-head: expected integers ≥ 2, comma-separated, found '16,x'", "--d-head", "16,x")]
    public void Bad_options_exit_2_with_one_line(string message, params string[] args)
    {
        var run = Of(["contraction", .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"pe-spectrum: {message}\n", run.Stderr.ReplaceLineEndings("\n"));
    }
}
