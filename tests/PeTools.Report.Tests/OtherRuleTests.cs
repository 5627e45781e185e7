using PeTools.Core.Tables;
using PeTools.Report.Claims;

namespace PeTools.Report.Tests;

/// <summary>Spectral, probe, sharpness, none and conjunction rules, and the rule parser's errors.</summary>
public class OtherRuleTests
{
    private static Given Spectra() => new Given().Contraction("spread_vs_content",
        ("rope", "multiplicative", 32, 0.95, 0.93, 0.97), ("rope", "multiplicative", 64, 0.90, 0.88, 0.92),
        ("alibi", "additive", 32, 1.5, 1.4, 1.6), ("alibi", "additive", 64, 1.6, 1.5, 1.7),
        ("t5", "additive", 32, 0.92, 0.90, 0.94), ("t5", "additive", 64, 0.95, 0.93, 0.97));

    [Fact]
    public void Ratio_below_checks_the_upper_ci_end_in_every_cell()
    {
        Assert.Equal(Outcome.Reproduced, Spectra().Verdict("ratio_below(statistic=spread_vs_content,pe=rope,value=1)").Outcome);
        Assert.Equal(Outcome.NotReproduced, Spectra().Verdict("ratio_below(statistic=spread_vs_content,pe=rope,value=0.95)").Outcome);
        Assert.Equal(Outcome.Inconclusive, Spectra().Verdict("ratio_below(statistic=spread,pe=rope,value=1)").Outcome);
    }

    [Fact]
    public void Spectral_less_against_additive_fails_on_any_additive_pe_below_in_any_cell()
    {
        Assert.Equal(Outcome.Reproduced, Spectra().Verdict("spectral_less(statistic=spread_vs_content,a=rope,b=alibi)").Outcome);
        var v = Spectra().Verdict("spectral_less(statistic=spread_vs_content,a=rope,b=additive)");
        Assert.Equal(Outcome.NotReproduced, v.Outcome);
        Assert.Equal("n=32 d=16: rope 0.950 ≥ t5 0.920", v.Reason);
    }

    [Fact]
    public void Probe_rules_read_the_statistic_over_heads_at_the_first_probe()
    {
        // Step 0: rope layer 0 heads (0.1, 0.7), alibi (0.05, 0.08); step 10 flips them (not read with step=first)
        var g = new Given()
            .Probes("distance", "rope", 0, Schemas.ProbeColumns.BiasCoherence, [[[0.1, 0.7], [0.2, 0.2]], [[0.01, 0.02], [0.0, 0.0]]])
            .Probes("distance", "alibi", 0, Schemas.ProbeColumns.BiasCoherence, [[[0.05, 0.08], [0.1, 0.1]], [[0.9, 0.9], [0.9, 0.9]]]);
        Assert.Equal(Outcome.Reproduced, g.Verdict("probe(task=distance,pe=rope,quantity=bias_coherence,layers=first,above=0.5)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("probe(task=distance,pe=alibi,quantity=bias_coherence,layers=first,below=0.2)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("probe(task=distance,pe=alibi,quantity=bias_coherence,step=last,below=0.2)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("probe(task=distance,pe=rope,quantity=bias_coherence,stat=median,layers=1,below=0.3)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("probe_greater(task=distance,a=rope,b=alibi,quantity=bias_coherence)").Outcome);
        Assert.Equal(Outcome.Inconclusive, g.Verdict("probe(task=distance,pe=rope,quantity=grad_wq_norm,above=0)").Outcome);
    }

    [Fact]
    public void Sharpness_less_compares_the_last_step_mean_over_seeds_and_is_inconclusive_without_a_hessian_table()
    {
        var g = new Given().Hessian("top_eigenvalue", ("rope", 0, 0, 9.0), ("rope", 0, 100, 2.0), ("rope", 1, 100, 4.0), ("alibi", 0, 100, 5.0));
        var v = g.Verdict("sharpness_less(a=rope,b=alibi)");
        Assert.Equal(Outcome.Reproduced, v.Outcome);
        Assert.Equal("top_eigenvalue at the last step: rope 3.000 ± 1.414 (n=2), alibi 5.000 (n=1)", v.Ours);
        Assert.Equal(Outcome.Inconclusive, new Given().Final("distance", "rope", 0, 0.9).Verdict("sharpness_less(a=rope,b=alibi)").Outcome);
    }

    [Fact]
    public void Joined_rules_fail_if_one_fails_else_are_inconclusive_if_one_is()
    {
        var g = new Given().Final("distance", "rope", 0, 0.9).Final("distance", "nope", 0, 0.05);
        Assert.Equal(Outcome.Reproduced, g.Verdict("above(task=distance,pe=rope,value=0.5) & below(task=distance,pe=nope,value=0.1)").Outcome);
        Assert.Equal(Outcome.Inconclusive, g.Verdict("above(task=distance,pe=rope,value=0.5) & below(task=count,pe=nope,value=0.1)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("above(task=distance,pe=rope,value=0.95) & below(task=count,pe=nope,value=0.1)").Outcome);
    }

    [Fact]
    public void None_is_inconclusive_with_the_note_as_reason()
    {
        var v = RuleParser.Parse("none", "needs a natural-language corpus").Evaluate(new Given().Data());
        Assert.Equal(Outcome.Inconclusive, v.Outcome);
        Assert.Equal("needs a natural-language corpus", v.Reason);
    }

    [Theory]
    [InlineData("best(task=distance)", "best: a value for 'pe'")]
    [InlineData("best(task=distance,pe=rope,colour=red)", "best: only the keys among, pe, task")]
    [InlineData("bestest(task=distance,pe=rope)", "a rule among best, worst")]
    [InlineData("best task=distance", "name(key=value,...) or none")]
    [InlineData("below(task=distance,pe=nope,value=low)", "below: a number for 'value'")]
    [InlineData("deposit(task=distance,pe=rope,layers=middle)", "deposit: 'layers' as first, second, last, shallow, deep, all, N or A-B")]
    [InlineData("probe(task=distance,pe=rope,quantity=bias_coherence)", "probe: above=V or below=V")]
    [InlineData("pattern(task=distance,pe=rope,layer=0,is=wavy)", "pattern: is=deposit, shock, spread or average")]
    [InlineData("order(task=distance,pes=rope)", "order: pes=A>B[~C...] with at least two PEs")]
    public void A_malformed_rule_names_what_was_expected(string rule, string expected)
    {
        var e = Assert.Throws<RuleError>(() => RuleParser.Parse(rule));
        Assert.StartsWith(expected, e.Expected);
    }
}
