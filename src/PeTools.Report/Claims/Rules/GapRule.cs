using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>smallest_gap(task=T,pe=P[,among=...])</c>: P has the smallest mean generalisation gap (final train − test accuracy);
/// inconclusive when P and its nearest rival are within noise.</summary>
public sealed class GapRule(string task, string pe, IReadOnlyList<string>? among) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var candidates = RuleSupport.Candidates(d, task, among);
        if (!candidates.Contains(pe)) return RuleSupport.NoRuns(task, pe);
        if (candidates.Count < 2) return Verdict.Inconclusive($"only {pe} was run on {task}: nothing to compare its gap with");
        var gaps = candidates.Select(v => (Variant: v, Gap: Summary.Of(d.CurvesOf(task, v).Select(c => c.Gap)))).OrderBy(x => x.Gap.Mean).ToList();
        bool holds = gaps[0].Variant == pe;
        var mine = gaps.First(g => g.Variant == pe);
        var rival = holds ? gaps[1] : gaps[0];
        var ours = $"gap {pe} {mine.Gap.Format()}; {(holds ? "next" : "smallest")}: {rival.Variant} {rival.Gap.Format()}";
        double noise = RuleSupport.Noise(mine.Gap, rival.Gap);
        if (Math.Abs(mine.Gap.Mean - rival.Gap.Mean) < noise) return RuleSupport.WithinNoise($"gaps of {pe} and {rival.Variant} on {task}", mine.Gap.Mean - rival.Gap.Mean, noise, ours);
        return Verdict.Of(holds, ours,
            holds ? $"{pe} has the smallest train − test gap of {candidates.Count} PEs on {task}" : $"{rival.Variant} has a smaller gap than {pe} on {task}");
    }
}
