using PeTools.Core.Tables;
using PeTools.Report.Claims;
using PeTools.Report.Inputs;

namespace PeTools.Report.Results;

/// <summary>
/// Everything a report is built from: the tables read, the claims to check (optional), and the per-run views that
/// sections and claim rules share (curves, ablations, positional-vector removals), each computed once.
/// </summary>
public sealed class ReportData
{
    private readonly Lazy<IReadOnlyList<RunCurves>> _curves;
    private readonly Lazy<IReadOnlyList<RunAblation>> _ablations;
    private readonly Lazy<IReadOnlyList<RunPosvec>> _posvecs;
    private readonly Lazy<IReadOnlyList<RunProbes>> _probes;

    public ReportData(InputSet inputs, IReadOnlyList<Claim>? claims = null)
    {
        Inputs = inputs;
        Claims = claims;
        _curves = new(() => inputs.OfKind(Schemas.Metrics).Select(RunCurves.From).ToList());
        _ablations = new(() => inputs.OfKind(Schemas.Ablation).GroupBy(t => t.Run!.Name)
            .Select(g => RunAblation.From(g.ToList())).OfType<RunAblation>().ToList());
        _posvecs = new(() => inputs.OfKind(Schemas.PositionalVectors).Select(RunPosvec.From).ToList());
        _probes = new(() => inputs.OfKind(Schemas.Probes).Select(RunProbes.From).ToList());
        var all = inputs.Tables.Where(t => t.Run is not null).Select(t => t.Run!).ToList();
        Tasks = OrderTasks(all.Select(r => r.Task));
        VariantOrder = Variants.Order(all.Select(r => r.Variant));
    }

    public InputSet Inputs { get; }

    /// <summary>The claims to check (pe-report --claims), or null.</summary>
    public IReadOnlyList<Claim>? Claims { get; }

    public IReadOnlyList<RunCurves> Curves => _curves.Value;
    public IReadOnlyList<RunAblation> Ablations => _ablations.Value;
    public IReadOnlyList<RunPosvec> Posvecs => _posvecs.Value;
    public IReadOnlyList<RunProbes> Probes => _probes.Value;

    /// <summary>Tasks of the runs: the paper's (distance, count) first, then others by name.</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>Every variant of every run, in the paper's order; a variant's index is its colour in every figure.</summary>
    public IReadOnlyList<string> VariantOrder { get; }

    public int ColorIndex(string variant) => Math.Max(0, IndexOf(VariantOrder, variant));

    /// <summary>The variants with curves on <paramref name="task"/>, in order.</summary>
    public IReadOnlyList<string> VariantsWithCurves(string task) =>
        VariantOrder.Where(v => Curves.Any(c => c.Run.Task == task && c.Run.Variant == v)).ToList();

    public IReadOnlyList<RunCurves> CurvesOf(string task, string variant) =>
        Curves.Where(c => c.Run.Task == task && c.Run.Variant == variant).OrderBy(c => c.Run.Seed).ToList();

    public IReadOnlyList<RunAblation> AblationsOf(string task, string variant) =>
        Ablations.Where(a => a.Run.Task == task && a.Run.Variant == variant).OrderBy(a => a.Run.Seed).ToList();

    public IReadOnlyList<RunPosvec> PosvecsOf(string task, string variant) =>
        Posvecs.Where(p => p.Run.Task == task && p.Run.Variant == variant).OrderBy(p => p.Run.Seed).ToList();

    public IReadOnlyList<RunProbes> ProbesOf(string task, string variant) =>
        Probes.Where(p => p.Run.Task == task && p.Run.Variant == variant).OrderBy(p => p.Run.Seed).ToList();

    /// <summary>Final test accuracy of a (task, variant) over its seeds.</summary>
    public Summary FinalTest(string task, string variant) => Summary.Of(CurvesOf(task, variant).Select(c => c.FinalTest));

    public Summary FinalTrain(string task, string variant) => Summary.Of(CurvesOf(task, variant).Select(c => c.FinalTrain));

    private static IReadOnlyList<string> OrderTasks(IEnumerable<string> tasks)
    {
        var known = PeTools.Core.Tasks.Tasks.All.Select(t => t.Key).ToList();
        return tasks.Distinct().OrderBy(t => known.IndexOf(t) is var i && i >= 0 ? i : known.Count).ThenBy(t => t, StringComparer.Ordinal).ToList();
    }

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++)
            if (list[i] == item) return i;
        return -1;
    }
}
