using PeTools.Report.Claims;

namespace PeTools.Report.Tests;

/// <summary>The rules on head ablations (deposit, no_deposit, pattern, shallow, margin_grows) and positional vectors.</summary>
public class HeadRuleTests
{
    // Two layers × four heads. Deposit layer: one head drops 0.5, the rest ~0. Flat layer: nothing drops.
    private static readonly double[] DepositLayer = [0.01, 0.5, 0.02, 0.0];
    private static readonly double[] FlatLayer = [0.01, 0.0, 0.02, 0.01];
    private static readonly double[] ShockLayer = [0.3, 0.35, 0.4, 0.3];
    private static readonly double[] SpreadLayer = [0.3, 0.25, 0.1, 0.0]; // top share 0.46, median 0.175

    [Fact]
    public void Deposit_needs_most_seeds_and_a_tie_is_inconclusive()
    {
        static Given Two() => new Given().Ablation("distance", "rope", 0, [DepositLayer, FlatLayer]).Ablation("distance", "rope", 1, [FlatLayer, FlatLayer]);
        var v = Two().Verdict("deposit(task=distance,pe=rope,layers=first)");
        Assert.Equal(Outcome.Inconclusive, v.Outcome); // 1 of 2
        Assert.Equal("rope: a deposit in layers first = {0} in 1/2 seeds (s0: layer 0 head 1 drop 0.500)", v.Ours);
        Assert.Equal("1 of 2 seeds of rope on distance show a deposit there (a tie)", v.Reason);
        var fewest = Two().Ablation("distance", "rope", 2, [FlatLayer, FlatLayer]);
        Assert.Equal(Outcome.NotReproduced, fewest.Verdict("deposit(task=distance,pe=rope,layers=first)").Outcome);
        var most = Two().Ablation("distance", "rope", 2, [DepositLayer, FlatLayer]);
        Assert.Equal(Outcome.Reproduced, most.Verdict("deposit(task=distance,pe=rope,layers=first)").Outcome);
        Assert.Equal(Outcome.NotReproduced, Two().Verdict("deposit(task=distance,pe=rope,layers=second)").Outcome);
    }

    [Fact]
    public void No_deposit_holds_when_most_seeds_show_none_in_the_selected_layers()
    {
        var g = new Given().Ablation("distance", "alibi", 0, [FlatLayer, DepositLayer]);
        Assert.Equal(Outcome.Reproduced, g.Verdict("no_deposit(task=distance,pe=alibi,layers=first)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("no_deposit(task=distance,pe=alibi)").Outcome); // layers=all
        Assert.Equal(Outcome.Inconclusive, g.Verdict("no_deposit(task=count,pe=alibi)").Outcome);
    }

    [Fact]
    public void Pattern_reads_the_deposit_label_of_one_layer()
    {
        var g = new Given().Ablation("count", "rope", 0, [ShockLayer, FlatLayer]).Ablation("distance", "sinusoidal", 0, [SpreadLayer, FlatLayer]);
        Assert.Equal(Outcome.Reproduced, g.Verdict("pattern(task=count,pe=rope,layer=first,is=shock)").Outcome);
        Assert.Equal(Outcome.Reproduced, g.Verdict("pattern(task=distance,pe=sinusoidal,layer=0,is=spread)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("pattern(task=distance,pe=sinusoidal,layer=last,is=spread)").Outcome);
        Assert.Equal(Outcome.Inconclusive, g.Verdict("pattern(task=distance,pe=sinusoidal,layer=all,is=spread)").Outcome);
    }

    [Fact]
    public void Shallow_wants_the_largest_drop_in_the_first_half_and_none_in_the_last_layer()
    {
        var shallow = new Given().Ablation("distance", "rope", 0, [DepositLayer, FlatLayer, FlatLayer, FlatLayer]);
        Assert.Equal(Outcome.Reproduced, shallow.Verdict("shallow(task=distance,pe=rope)").Outcome);
        var deep = new Given().Ablation("distance", "rope", 0, [FlatLayer, FlatLayer, FlatLayer, DepositLayer]);
        Assert.Equal(Outcome.NotReproduced, deep.Verdict("shallow(task=distance,pe=rope)").Outcome);
    }

    [Fact]
    public void Margin_grows_when_layer_0_has_the_largest_top_minus_runner_up_drop()
    {
        var g = new Given().Ablation("distance", "rope", 0, [DepositLayer, [0.2, 0.1, 0.0, 0.0]]);
        var v = g.Verdict("margin_grows(task=distance,pe=rope)");
        Assert.Equal(Outcome.Reproduced, v.Outcome);
        Assert.Equal("rope: s0: margin per layer 0.480/0.100", v.Ours);
        var flipped = new Given().Ablation("distance", "rope", 0, [[0.2, 0.1, 0.0, 0.0], DepositLayer]);
        Assert.Equal(Outcome.NotReproduced, flipped.Verdict("margin_grows(task=distance,pe=rope)").Outcome);
    }

    [Fact]
    public void Posvec_hurts_needs_p_i_below_random_by_more_than_a_std_in_every_selected_layer()
    {
        // Layer 0: p_i 0.2 vs random 0.6 ± 0.05 (hurts); layer 1: 0.62 vs 0.63 ± 0.02 (no difference)
        var g = new Given().Posvec("distance", "sinusoidal", 0, [(0.2, 0.6, 0.05), (0.62, 0.63, 0.02)]);
        Assert.Equal(Outcome.Reproduced, g.Verdict("posvec(task=distance,pe=sinusoidal,layers=first,effect=hurts)").Outcome);
        var all = g.Verdict("posvec(task=distance,pe=sinusoidal,layers=all,effect=hurts)");
        Assert.Equal(Outcome.NotReproduced, all.Outcome);
        Assert.Equal("not in layer 1", all.Reason);
        Assert.Equal(Outcome.Reproduced, g.Verdict("posvec(task=distance,pe=sinusoidal,layers=deep,effect=none)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("posvec(task=distance,pe=sinusoidal,layers=shallow,effect=none)").Outcome);
    }

    [Fact]
    public void Posvec_less_compares_the_gap_as_a_share_of_the_intact_accuracy()
    {
        var g = new Given().Posvec("distance", "sinusoidal", 0, [(0.2, 0.6, 0.05)], baseline: 0.6)
            .Posvec("distance", "rope-abs", 0, [(0.85, 0.9, 0.02)], baseline: 0.9);
        Assert.Equal(Outcome.Reproduced, g.Verdict("posvec_less(task=distance,a=rope-abs,b=sinusoidal)").Outcome);
        Assert.Equal(Outcome.NotReproduced, g.Verdict("posvec_less(task=distance,a=sinusoidal,b=rope-abs)").Outcome);
    }
}
