using PeTools.Core.Heads;

namespace PeTools.Core.Tests.Heads;

/// <summary>The deposit score's arithmetic on hand-written drops (no libtorch).</summary>
public class DepositScoreTests
{
    private static readonly DepositThresholds Defaults = new();

    [Fact]
    public void One_dominant_head_is_a_deposit_with_its_margin_share_and_gini()
    {
        // Given drops where head 1 dominates and head 2 trails
        double[] drops = [0, 0.5, 0.05, 0];

        // When summarised
        var s = DepositScore.Summarise(drops, Defaults);

        // Then the numbers are those computed by hand
        Assert.Equal((1, 0.5, 2, 0.05), (s.TopHead, s.TopDrop, s.RunnerUpHead, s.RunnerUpDrop));
        Assert.Equal(0.45, s.Margin, 12);
        Assert.Equal(0.5 / 0.55, s.Concentration, 12);
        // Σ_i Σ_j |x_i − x_j| = 2·(0.5 + 0.05 + 0 + 0.45 + 0.5 + 0.05) = 3.1; 2·n²·mean = 2·16·0.1375 = 4.4
        Assert.Equal(3.1 / 4.4, s.Gini, 12);
        Assert.Equal(0.025, s.MedianDrop, 12);
        Assert.Equal(DepositPattern.Deposit, s.Pattern);
    }

    [Theory]
    [InlineData(new[] { 0.3, 0.4, 0.35, 0.5 }, DepositPattern.Shock)]     // RoPE, Task 2: every head matters
    [InlineData(new[] { 0.01, 0.0, 0.02, -0.01 }, DepositPattern.Average)] // NoPE, Task 1: none does
    [InlineData(new[] { 0.3, 0.3, 0.3, 0, 0, 0, 0, 0 }, DepositPattern.Spread)] // several, none dominant
    [InlineData(new[] { 0.19, 0, 0, 0 }, DepositPattern.Average)]           // dominant but below the drop threshold
    [InlineData(new[] { 0.5, 0.45, 0, 0, 0 }, DepositPattern.Deposit)]      // top share 0.5/0.95 ≥ 0.5: just a deposit
    public void Labels_follow_the_thresholds(double[] drops, DepositPattern expected)
    {
        // Given drops of one layer
        // When labelled with the default thresholds
        var s = DepositScore.Summarise(drops, Defaults);

        // Then the label is the expected one
        Assert.Equal(expected, s.Pattern);
    }

    [Fact]
    public void Gini_is_zero_for_equal_drops_and_n_minus_one_over_n_for_one_head()
    {
        Assert.Equal(0, DepositScore.Gini([0.2, 0.2, 0.2, 0.2]), 12);
        Assert.Equal(0, DepositScore.Gini([0, -0.1, 0, 0]), 12);
        Assert.Equal(15.0 / 16, DepositScore.Gini([.. Enumerable.Repeat(0.0, 15), 0.6]), 12);
    }

    [Fact]
    public void Ties_go_to_the_lower_head_and_give_zero_margin()
    {
        var s = DepositScore.Summarise([0.1, 0.3, 0.3, 0.2], Defaults);
        Assert.Equal((1, 2, 0.0), (s.TopHead, s.RunnerUpHead, s.Margin));
    }

    [Fact]
    public void Negative_drops_count_as_nothing_in_the_concentration()
    {
        var s = DepositScore.Summarise([0.4, -0.2, 0.1, -0.3], Defaults);
        Assert.Equal(0.8, s.Concentration, 12);
    }
}

/// <summary>The labels on the paper's own read-off numbers (paper.md §6, Figs. 4 and 4-alt).</summary>
public class DepositScorePaperTests
{
    [Fact]
    public void The_papers_Task_2_RoPE_layer_is_a_shock_and_its_Absolute_PE_layer_is_spread()
    {
        // Given Fig. 4's RoPE/Task 2 per-head accuracies (baseline 0.78) and Fig. 4-alt's Absolute PE ones (0.81)
        double[] rope2 = [0.30, 0.37, 0.40, 0.26, 0.33, 0.36, 0.40, 0.49, 0.26, 0.35, 0.41, 0.42, 0.31, 0.41, 0.41, 0.37];
        double[] absolute = [0.63, 0.76, 0.34, 0.82, 0.72, 0.56, 0.78, 0.27, 0.79, 0.67, 0.46, 0.76, 0.30, 0.23, 0.79, 0.81];

        // When their drops are labelled
        var shock = DepositScore.Summarise(rope2.Select(a => 0.78 - a).ToList(), new DepositThresholds());
        var spread = DepositScore.Summarise(absolute.Select(a => 0.81 - a).ToList(), new DepositThresholds());

        // Then the labels match the paper's reading: every head matters / several heads matter, none dominates
        Assert.Equal(DepositPattern.Shock, shock.Pattern);
        Assert.Equal(DepositPattern.Spread, spread.Pattern);
        Assert.Equal(13, spread.TopHead);
    }
}
