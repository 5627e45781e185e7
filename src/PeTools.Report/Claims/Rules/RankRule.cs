using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>best(task=T,pe=P[,among=A|B|...])</c> / <c>worst(...)</c>: P has the highest / lowest mean final test accuracy on T;
/// inconclusive when P and its nearest rival are within noise.</summary>
public sealed class RankRule(string task, string pe, IReadOnlyList<string>? among, bool best) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var candidates = RuleSupport.Candidates(d, task, among);
        if (!candidates.Contains(pe)) return RuleSupport.NoRuns(task, pe);
        if (candidates.Count < 2) return Verdict.Inconclusive($"only {pe} was run on {task}: nothing to rank it against");
        var ranked = candidates.Select(v => (Variant: v, Mean: RuleSupport.Accuracy(d, task, v).Mean))
            .OrderBy(x => best ? -x.Mean : x.Mean).ToList();
        bool holds = ranked[0].Variant == pe;
        var rival = holds ? ranked[1].Variant : ranked[0].Variant;
        string word = best ? "highest" : "lowest";
        var ours = $"{RuleSupport.Show(d, task, pe)}; {(holds ? "next" : word)}: {RuleSupport.Show(d, task, rival)}";
        var (sp, sr) = (RuleSupport.Accuracy(d, task, pe), RuleSupport.Accuracy(d, task, rival));
        double noise = RuleSupport.Noise(sp, sr);
        if (Math.Abs(sp.Mean - sr.Mean) < noise) return RuleSupport.WithinNoise($"{pe} vs {rival} on {task}", sp.Mean - sr.Mean, noise, ours);
        return Verdict.Of(holds, ours,
            holds ? $"{pe} is {word} of {candidates.Count} PEs on {task}" : $"{rival} is {word} on {task}, not {pe} ({candidates.Count} PEs)");
    }
}
