using PeTools.Report.Claims;

namespace PeTools.Report.Tests;

/// <summary>The rules on final accuracies: best/worst, greater, below/above, similar, ratio_above, order, smallest_gap, fastest/faster.</summary>
public class AccuracyRuleTests
{
    private static Given ThreePes() => new Given()
        .Final("distance", "rope", 0, 0.90).Final("distance", "rope", 1, 0.92)
        .Final("distance", "alibi", 0, 0.30).Final("distance", "nope", 0, 0.05);

    [Fact]
    public void Best_is_reproduced_when_the_pe_has_the_highest_mean_and_names_the_runner_up()
    {
        var v = ThreePes().Verdict("best(task=distance,pe=rope)");
        Assert.Equal(Outcome.Reproduced, v.Outcome);
        Assert.Equal("rope 0.910 ± 0.014 (n=2); next: alibi 0.300 (n=1)", v.Ours);
    }

    [Fact]
    public void Best_is_not_reproduced_when_another_pe_is_clearly_higher()
    {
        var v = ThreePes().Verdict("best(task=distance,pe=alibi)");
        Assert.Equal(Outcome.NotReproduced, v.Outcome);
        Assert.Contains("rope is highest", v.Reason);
    }

    [Fact]
    public void Best_within_noise_of_the_runner_up_is_inconclusive()
    {
        // Given two PEs whose seeds overlap: 0.80/0.90 vs 0.84/0.86 (difference 0.00, 2 SE ≈ 0.07)
        var g = new Given().Final("distance", "rope", 0, 0.80).Final("distance", "rope", 1, 0.90)
            .Final("distance", "sinusoidal", 0, 0.84).Final("distance", "sinusoidal", 1, 0.86);
        Assert.Equal(Outcome.Inconclusive, g.Verdict("best(task=distance,pe=rope)").Outcome);
    }

    [Fact]
    public void Among_restricts_the_ranking_and_worst_ranks_from_below()
    {
        var g = ThreePes();
        Assert.Equal(Outcome.Reproduced, g.Verdict("best(task=distance,pe=alibi,among=alibi|nope)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("worst(task=distance,pe=nope)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("worst(task=distance,pe=alibi)").Outcome);
    }

    [Fact]
    public void A_rule_on_a_pe_or_task_without_runs_is_inconclusive_and_says_what_is_missing()
    {
        var v = ThreePes().Verdict("greater(task=count,a=nope,b=rope)");
        Assert.Equal(Outcome.Inconclusive, v.Outcome);
        Assert.Equal("no metrics of nope / rope on count among the inputs", v.Reason);
    }

    [Fact]
    public void Greater_honours_its_margin_and_noise()
    {
        var g = ThreePes();
        Assert.Equal(Outcome.Reproduced, g.Verdict("greater(task=distance,a=rope,b=alibi,margin=0.5)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("greater(task=distance,a=rope,b=alibi,margin=0.7)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("greater(task=distance,a=alibi,b=rope)").Outcome);
        var close = new Given().Final("count", "nope", 0, 0.805).Final("count", "rope", 0, 0.800);
        Assert.Equal(Outcome.Inconclusive, close.Verdict("greater(task=count,a=nope,b=rope)").Outcome);
    }

    [Fact]
    public void Below_above_similar_and_ratio_compare_means_with_the_given_number()
    {
        var g = ThreePes();
        Assert.Equal(Outcome.Reproduced, g.Verdict("below(task=distance,pe=nope,value=0.1)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("below(task=distance,pe=alibi,value=0.1)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("above(task=distance,pe=rope,value=0.85)").Outcome);
        Assert.Equal(Outcome.Inconclusive, g.Verdict("above(task=distance,pe=rope,value=0.9)").Outcome); // 0.910 ± 0.014: 2 SE = 0.02
        Assert.Equal(Outcome.Reproduced, g.Verdict("similar(task=distance,a=alibi,b=nope,tol=0.3)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("similar(task=distance,a=alibi,b=nope,tol=0.2)").Outcome);
        var r = g.Verdict("ratio_above(task=distance,a=alibi,b=rope,value=0.3)");
        Assert.Equal(Outcome.Reproduced, r.Outcome);
        Assert.Equal("alibi / rope = 0.330 on distance (≥ 0.300)", r.Reason);
        // seeds 0.2 and 1.0 (mean 0.6 ± 0.57) say nothing about 0.9 × 0.9 = 0.81
        var wide = new Given().Final("distance", "rope/mla", 0, 0.2).Final("distance", "rope/mla", 1, 1.0).Final("distance", "rope", 0, 0.9);
        Assert.Equal(Outcome.Inconclusive, wide.Verdict("ratio_above(task=distance,a=rope/mla,b=rope,value=0.9)").Outcome);
    }

    [Fact]
    public void Order_checks_every_step_with_tilde_as_within_tol()
    {
        var g = ThreePes().Final("distance", "relative", 0, 0.06);
        Assert.Equal(Outcome.Reproduced, g.Verdict("order(task=distance,pes=rope>alibi>relative~nope)").Outcome);
        var v = g.Verdict("order(task=distance,pes=alibi>rope>relative~nope)");
        Assert.Equal(Outcome.NotReproduced, v.Outcome);
        Assert.Equal("fails: alibi > rope (0.300 vs 0.910)", v.Reason);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("order(task=distance,pes=rope>alibi~nope,tol=0.1)").Outcome);
    }

    [Fact]
    public void Smallest_gap_uses_final_train_minus_test()
    {
        var g = new Given().Final("distance", "rope", 0, 0.90, train: 0.95).Final("distance", "learned", 0, 0.60, train: 1.0);
        Assert.Equal(Outcome.Reproduced, g.Verdict("smallest_gap(task=distance,pe=rope)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("smallest_gap(task=distance,pe=learned)").Outcome);
        var tie = new Given().Final("distance", "rope", 0, 0.90, train: 0.95).Final("distance", "alibi", 0, 0.50, train: 0.555);
        Assert.Equal(Outcome.Inconclusive, tie.Verdict("smallest_gap(task=distance,pe=rope)").Outcome);
    }

    [Fact]
    public void Fastest_and_faster_compare_the_epoch_at_which_the_mean_test_curve_reaches_the_level()
    {
        // rope reaches 0.9 × 0.9 = 0.81 at epoch 2; sinusoidal at epoch 4
        var g = new Given().Metrics("distance", "rope", 0, [0.2, 0.85, 0.88, 0.9]).Metrics("distance", "sinusoidal", 0, [0.1, 0.3, 0.6, 0.9]);
        var v = g.Verdict("fastest(task=distance,pe=rope)");
        Assert.Equal(Outcome.Reproduced, v.Outcome);
        Assert.Equal("to 0.810: rope epoch 2, sinusoidal epoch 4", v.Ours);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("faster(task=distance,a=sinusoidal,b=rope)").Outcome);
    }
}
