using PeTools.Report.Claims.Rules;
using static PeTools.Report.Claims.Rules.PatternRule;

namespace PeTools.Report.Claims;

/// <summary>A rule kind: its name in claims.csv, its usage, what it checks, and how its arguments build it.</summary>
public sealed record RuleKind(string Name, string Usage, string Description, Func<RuleArgs, IClaimRule> Create);

/// <summary>
/// The one list of claim rules (STYLE.md §1): a rule kind is one class in Claims/Rules plus one line here. Accuracy
/// rules compare mean final test accuracies over seeds; ablation rules need most seeds to agree (a tie is inconclusive).
/// </summary>
public static class ClaimRules
{
    private const string Task = "task", Pe = "pe", A = "a", B = "b", Among = "among";

    public static IReadOnlyList<RuleKind> All { get; } =
    [
        new("best", "best(task,pe[,among=A|B])", "pe has the highest mean final test accuracy on task",
            a => new RankRule(a.Required(Task), a.Required(Pe), a.List(Among), best: true)),
        new("worst", "worst(task,pe[,among])", "pe has the lowest mean final test accuracy on task",
            a => new RankRule(a.Required(Task), a.Required(Pe), a.List(Among), best: false)),
        new("greater", "greater(task,a,b[,margin=0])", "a's mean final test accuracy exceeds b's by more than margin",
            a => new GreaterRule(a.Required(Task), a.Required(A), a.Required(B), a.Number("margin", 0))),
        new("below", "below(task,pe,value)", "pe's mean final test accuracy is below value",
            a => new ThresholdRule(a.Required(Task), a.Required(Pe), a.Number("value"), below: true)),
        new("above", "above(task,pe,value)", "pe's mean final test accuracy is at least value",
            a => new ThresholdRule(a.Required(Task), a.Required(Pe), a.Number("value"), below: false)),
        new("similar", "similar(task,a,b,tol)", "the mean final test accuracies of a and b differ by at most tol",
            a => new SimilarRule(a.Required(Task), a.Required(A), a.Required(B), a.Number("tol"))),
        new("ratio_above", "ratio_above(task,a,b,value)", "a's mean final test accuracy is at least value × b's",
            a => new RatioRule(a.Required(Task), a.Required(A), a.Required(B), a.Number("value"))),
        new("order", "order(task,pes=A>B~C[,tol=0.02])", "mean final test accuracies follow the chain (> higher, ~ within tol)",
            a => new OrderRule(a.Required(Task), a.Required("pes"), a.Number("tol", 0.02))),
        new("smallest_gap", "smallest_gap(task,pe[,among])", "pe has the smallest mean train − test gap",
            a => new GapRule(a.Required(Task), a.Required(Pe), a.List(Among))),
        new("fastest", "fastest(task,pe[,frac=0.9,among])", "pe's mean test curve first reaches frac × the best final accuracy",
            a => new SpeedRule(a.Required(Task), a.Required(Pe), null, a.List(Among), a.Number("frac", 0.9))),
        new("faster", "faster(task,a,b[,frac=0.9])", "a reaches frac × the lower final accuracy of the two in fewer epochs than b",
            a => new SpeedRule(a.Required(Task), a.Required(A), a.Required(B), null, a.Number("frac", 0.9))),
        new("deposit", "deposit(task,pe[,layers=first])", "a deposit in some selected layer in most seeds",
            a => new DepositRule(a.Required(Task), a.Required(Pe), a.Layers("layers", "first"), present: true)),
        new("no_deposit", "no_deposit(task,pe[,layers=all])", "no deposit in the selected layers in most seeds",
            a => new DepositRule(a.Required(Task), a.Required(Pe), a.Layers("layers", "all"), present: false)),
        new("pattern", "pattern(task,pe,layer,is)", "layer has the label is (deposit, shock, spread, average) in most seeds",
            a => new PatternRule(a.Required(Task), a.Required(Pe), a.Layers("layer", "first"), ParsePattern(a.Required("is")))),
        new("shallow", "shallow(task,pe)", "the largest single-head drop is in the shallow half, the last layer has none ≥ the deposit threshold",
            a => new ShallowRule(a.Required(Task), a.Required(Pe))),
        new("margin_grows", "margin_grows(task,pe)", "Margin_l (top − runner-up drop) is largest in layer 0 (Thm 6.1)",
            a => new MarginRule(a.Required(Task), a.Required(Pe))),
        new("posvec", "posvec(task,pe,layers,effect=hurts|none[,tol=0.02])", "removing p_i hurts more than random / as much as random in every selected layer",
            a => new PosvecRule(a.Required(Task), a.Required(Pe), a.Layers("layers", "all"), Effect(a.Required("effect")), a.Number("tol", 0.02))),
        new("posvec_less", "posvec_less(task,a,b[,layers=all])", "a's (random − p_i) gap per intact accuracy is smaller than b's",
            a => new PosvecCompareRule(a.Required(Task), a.Required(A), a.Required(B), a.Layers("layers", "all"))),
        new("ratio_below", "ratio_below(statistic,pe,value)", "contraction: pe's 95% CI of statistic is below value in every (n, d_head) cell",
            a => new SpectralRule(a.Required("statistic"), a.Required(Pe), null, a.Number("value"))),
        new("spectral_less", "spectral_less(statistic,a,b)", "contraction: a's mean statistic is below b's (b may be 'additive') in every cell",
            a => new SpectralRule(a.Required("statistic"), a.Required(A), a.Required(B), null)),
        new("probe", "probe(task,pe,quantity[,stat=max,step=first,layers=all],above=V|below=V)", "a gradient-probe statistic against a number",
            a => new ProbeRule(a.Required(Task), a.Required(Pe), null, a.Required("quantity"), Stat(a), Step(a), a.Layers("layers", "all"),
                Bound(a, "above", "below"), Bound(a, "below", "above"))),
        new("probe_greater", "probe_greater(task,a,b,quantity[,stat=max,step=first,layers=all])", "a gradient-probe statistic of a exceeds b's",
            a => new ProbeRule(a.Required(Task), a.Required(A), a.Required(B), a.Required("quantity"), Stat(a), Step(a), a.Layers("layers", "all"), null, null)),
        new("sharpness_less", "sharpness_less(a,b[,quantity=top_eigenvalue])", "the loss-Hessian quantity at the last step is lower for a than for b",
            a => new SharpnessRule(a.Required(A), a.Required(B), a.Optional("quantity", PeTools.Core.Tables.Schemas.HessianColumns.TopEigenvalue))),
    ];

    public static RuleKind? Find(string name) => All.FirstOrDefault(k => k.Name == name);

    private static bool Effect(string text) => text switch
    {
        "hurts" => true,
        "none" => false,
        _ => throw new RuleError("posvec: effect=hurts or none", $"'{text}'"),
    };

    /// <summary>The one of above=/below= that is given (exactly one must be).</summary>
    private static double? Bound(RuleArgs a, string key, string other) =>
        (a.Optional(key), a.Optional(other)) switch
        {
            (null, null) => throw new RuleError($"{a.Rule}: above=V or below=V", "neither"),
            ({ }, { }) => throw new RuleError($"{a.Rule}: above=V or below=V, not both", "both"),
            (null, _) => null,
            _ => a.Number(key),
        };

    private static string Stat(RuleArgs a) =>
        a.Optional("stat", "max") is var s && Results.RunProbes.Stats.Contains(s) ? s : throw new RuleError($"{a.Rule}: stat=max, median, mean or min", $"'{s}'");

    private static string Step(RuleArgs a) =>
        a.Optional("step", "first") is var s && s is "first" or "last" ? s : throw new RuleError($"{a.Rule}: step=first or last", $"'{s}'");
}
