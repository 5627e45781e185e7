namespace PeTools.Core.Heads;

/// <summary>The label of a layer's ablation profile (paper §4.3, Fig. 4), as <see cref="DepositScore.Label"/> decides it.</summary>
public enum DepositPattern
{
    /// <summary>One head carries the layer: a large drop, concentrated on it (RoPE, Task 1, layer 1).</summary>
    Deposit,

    /// <summary>Every head matters: the typical head's drop is large (RoPE, Task 2).</summary>
    Shock,

    /// <summary>Some heads matter a lot but none dominates (the paper's Absolute PE, Fig. 4-alt). Not a paper label.</summary>
    Spread,

    /// <summary>No head matters much (NoPE, Task 1).</summary>
    Average,
}

/// <summary>Where the labels' lines are drawn. Defaults: deposit = top drop ≥ 0.2 and concentration ≥ 0.5; shock = median drop ≥ 0.2.</summary>
public sealed record DepositThresholds(double DepositDrop = 0.2, double DepositConcentration = 0.5, double ShockMedian = 0.2);

/// <summary>One layer's ablation drops in numbers.</summary>
public sealed record DepositSummary(int Heads, int TopHead, double TopDrop, int RunnerUpHead, double RunnerUpDrop,
    double Concentration, double Gini, double MedianDrop, DepositPattern Pattern)
{
    /// <summary>Top drop − runner-up drop: the gap between the dominant and second head, paper Thm 6.1's Margin_l.</summary>
    public double Margin => TopDrop - RunnerUpDrop;
}

/// <summary>
/// Turns a layer's per-head accuracy drops into the numbers the paper only plots (§9 opportunity 7): which head,
/// by how much over the runner-up, how concentrated, and a label. Pure arithmetic, no libtorch.
/// </summary>
public static class DepositScore
{
    /// <summary>Summarises the drops of heads 0..H−1 (index = head). Ties go to the lower head index.</summary>
    public static DepositSummary Summarise(IReadOnlyList<double> drops, DepositThresholds thresholds)
    {
        if (drops.Count == 0) throw new ArgumentException("a layer needs at least one head", nameof(drops));
        // Stable sort by drop, descending: equal drops keep head order, so the top head is the lowest index among ties.
        var ranked = drops.Select((d, h) => (Drop: d, Head: h)).OrderByDescending(x => x.Drop).ToList();
        var (topDrop, topHead) = ranked[0];
        var (runnerDrop, runnerHead) = ranked.Count > 1 ? ranked[1] : (0.0, -1);
        double positiveSum = drops.Where(d => d > 0).Sum();
        double concentration = positiveSum > 0 ? Math.Max(topDrop, 0) / positiveSum : 0;
        double median = Median(drops);
        var pattern = Label(topDrop, concentration, median, thresholds);
        return new DepositSummary(drops.Count, topHead, topDrop, runnerHead, runnerDrop, concentration, Gini(drops), median, pattern);
    }

    /// <summary>
    /// Deposit when the top drop and its share are both large; else shock when the median head's drop is large;
    /// else spread when some head still drops by the deposit threshold; else average. Deposit is tested first; the two
    /// can only both hold with few heads (with 16 heads and drops ≤ 1, a median ≥ 0.2 puts 7 other heads at ≥ 0.2,
    /// whose sum exceeds any top drop, so the concentration is below 0.5).
    /// </summary>
    public static DepositPattern Label(double topDrop, double concentration, double medianDrop, DepositThresholds t) =>
        topDrop >= t.DepositDrop && concentration >= t.DepositConcentration ? DepositPattern.Deposit
        : medianDrop >= t.ShockMedian ? DepositPattern.Shock
        : topDrop >= t.DepositDrop ? DepositPattern.Spread
        : DepositPattern.Average;

    /// <summary>
    /// Gini coefficient of max(drop, 0): Σ_i Σ_j |x_i − x_j| / (2 n² mean). 0 when every head drops alike (or none
    /// drops), (n − 1)/n when one head carries everything. Negative drops (an ablation that helps) count as 0.
    /// </summary>
    public static double Gini(IReadOnlyList<double> drops)
    {
        var x = drops.Select(d => Math.Max(d, 0)).ToArray();
        double mean = x.Average();
        if (mean <= 0) return 0;
        double sum = 0;
        foreach (var a in x)
            foreach (var b in x)
                sum += Math.Abs(a - b);
        return sum / (2.0 * x.Length * x.Length * mean);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The lower-case name tables use (deposit, shock, spread, average).</summary>
    public static string Name(this DepositPattern pattern) => pattern.ToString().ToLowerInvariant();
}
