using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>What the rules share: final accuracies with their spread, the compared PEs, epochs to a level, seed votes.</summary>
internal static class RuleSupport
{
    public static Summary Accuracy(ReportData d, string task, string variant) => d.FinalTest(task, variant);

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

    /// <summary>At least half of the seeds.</summary>
    public static bool Majority((int Count, int Of) vote) => vote.Of > 0 && 2 * vote.Count >= vote.Of;

    public static Verdict NoAblation(string task, string variant) =>
        Verdict.Inconclusive($"no head-ablation table of {variant} on {task} among the inputs");

    public static string Num(double x, int digits = 3) => Summary.Num(x, digits);
}
