using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>fastest(task=T,pe=P[,frac=F][,among=...])</c>: P's seed-mean test curve is the first to reach F (default 0.9) of
/// the best final accuracy among the compared PEs. <c>faster(task=T,a=A,b=B[,frac=F])</c>: A reaches F of the lower of
/// the two final accuracies in fewer epochs than B.
/// </summary>
public sealed class SpeedRule(string task, string a, string? b, IReadOnlyList<string>? among, double frac) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var compared = b is not null ? [a, b] : RuleSupport.Candidates(d, task, among);
        if (compared.Any(v => !RuleSupport.HasRuns(d, task, v)) || !compared.Contains(a)) return RuleSupport.NoRuns(task, b is null ? [a] : [a, b]);
        if (compared.Count < 2) return Verdict.Inconclusive($"only {a} was run on {task}: nothing to compare its speed with");
        var finals = compared.Select(v => RuleSupport.Accuracy(d, task, v).Mean).ToList();
        double level = frac * (b is null ? finals.Max() : finals.Min());
        var epochs = compared.Select(v => (Variant: v, Epoch: RuleSupport.EpochToReach(d, task, v, level))).OrderBy(x => x.Epoch).ToList();
        double mine = epochs.First(e => e.Variant == a).Epoch;
        var rival = epochs.First(e => e.Variant != a);
        bool holds = double.IsFinite(mine) && mine < rival.Epoch;
        string Ep(double e) => double.IsFinite(e) ? $"epoch {RuleSupport.Num(e, 0)}" : "never";
        return Verdict.Of(holds, $"to {RuleSupport.Num(level)}: {a} {Ep(mine)}, {rival.Variant} {Ep(rival.Epoch)}",
            holds ? $"{a} reaches {RuleSupport.Num(level)} first on {task}" : $"{rival.Variant} reaches {RuleSupport.Num(level)} no later than {a} on {task}");
    }
}
