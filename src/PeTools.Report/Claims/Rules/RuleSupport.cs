using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>What the rules share: final accuracies with their spread, the compared PEs, epochs to a level, seed votes.</summary>
internal static class RuleSupport
{
    /// <summary>Accuracy differences smaller than this (one percentage point) decide nothing.</summary>
    public const double MinDifference = 0.01;

    public static Summary Accuracy(ReportData d, string task, string variant) => d.FinalTest(task, variant);

    /// <summary>
    /// The smallest difference of two means that counts: two standard errors of the difference (from the sides with
    /// several seeds), and never below <see cref="MinDifference"/>.
    /// </summary>
    public static double Noise(Summary a, Summary b)
    {
        double variance = (a.N > 1 ? a.Std * a.Std / a.N : 0) + (b.N > 1 ? b.Std * b.Std / b.N : 0);
        return Math.Max(MinDifference, 2 * Math.Sqrt(variance));
    }

    public static Verdict WithinNoise(string what, double diff, double noise, string ours) =>
        Verdict.Inconclusive($"{what}: difference {Num(Math.Abs(diff))} is within noise ({Num(noise)})", ours);

    /// <summary><c>rope 0.287 ± 0.060 (n=3)</c>.</summary>
    public static string Show(ReportData d, string task, string variant) => $"{variant} {Accuracy(d, task, variant).Format()}";

    public static bool HasRuns(ReportData d, string task, string variant) => d.CurvesOf(task, variant).Count > 0;

    public static Verdict NoRuns(string task, params string[] variants) =>
        Verdict.Inconclusive($"no metrics of {string.Join(" / ", variants)} on {task} among the inputs");

    /// <summary>The PEs compared on a task: <paramref name="among"/> when given (those present), else every variant with curves but partial RoPE.</summary>
    public static IReadOnlyList<string> Candidates(ReportData d, string task, IReadOnlyList<string>? among) =>
        among is not null
            ? among.Where(v => HasRuns(d, task, v)).ToList()
            : d.VariantsWithCurves(task).Where(v => !Variants.IsPartialRope(v)).ToList();

    /// <summary>First epoch at which the seed-mean test curve reaches <paramref name="level"/> (∞ if never).</summary>
    public static double EpochToReach(ReportData d, string task, string variant, double level)
    {
        var band = SeedBand.Of(d.CurvesOf(task, variant).Select(c => (IReadOnlyList<(double, double)>)c.Test.Select(p => (p.Epoch, p.Accuracy)).ToList()).ToList());
        for (int i = 0; i < band.Xs.Length; i++)
            if (band.Mean[i] >= level) return band.Xs[i];
        return double.PositiveInfinity;
    }

    /// <summary>Seeds (of the head-ablation runs) for which <paramref name="holds"/> is true: (count, of n).</summary>
    public static (int Count, int Of) Vote(IReadOnlyList<RunAblation> runs, Func<RunAblation, bool> holds) => (runs.Count(holds), runs.Count);

    /// <summary>
    /// A seed vote as a verdict: reproduced when most seeds agree, not reproduced when most disagree, inconclusive on a
    /// tie (1 of 2 seeds says nothing either way).
    /// </summary>
    public static Verdict Vote((int Count, int Of) vote, string ours, string what)
    {
        var reason = $"{vote.Count} of {vote.Of} seeds {what}";
        if (2 * vote.Count == vote.Of) return Verdict.Inconclusive(reason + " (a tie)", ours);
        return Verdict.Of(2 * vote.Count > vote.Of, ours, reason + " (need most)");
    }

    public static Verdict NoAblation(string task, string variant) =>
        Verdict.Inconclusive($"no head-ablation table of {variant} on {task} among the inputs");

    public static string Num(double x, int digits = 3) => Summary.Num(x, digits);
}
