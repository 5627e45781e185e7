using System.Text.RegularExpressions;
using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>order(task=T,pes=A&gt;B~C,tol=X)</c>: mean final test accuracies follow the chain, where A&gt;B means higher and
/// B~C means within X of each other (default 0.02). A '&gt;' step within noise makes the
/// verdict inconclusive unless another step fails.
/// </summary>
public sealed partial class OrderRule : IClaimRule
{
    private readonly string _task;
    private readonly IReadOnlyList<string> _pes;
    private readonly IReadOnlyList<char> _relations;
    private readonly double _tol;

    [GeneratedRegex(@"[>~]")]
    private static partial Regex Relation();

    public OrderRule(string task, string chain, double tol)
    {
        _task = task;
        _tol = tol;
        _pes = Relation().Split(chain).Select(s => s.Trim()).ToList();
        _relations = Relation().Matches(chain).Select(m => m.Value[0]).ToList();
        if (_pes.Count < 2 || _pes.Any(p => p.Length == 0))
            throw new RuleError("order: pes=A>B[~C...] with at least two PEs", $"'{chain}'");
    }

    public Verdict Evaluate(ReportData d)
    {
        var missing = _pes.Where(p => !RuleSupport.HasRuns(d, _task, p)).ToList();
        if (missing.Count > 0) return RuleSupport.NoRuns(_task, [.. missing]);
        var (failed, undecided) = (new List<string>(), new List<string>());
        for (int i = 0; i < _relations.Count; i++)
        {
            var (sa, sb) = (RuleSupport.Accuracy(d, _task, _pes[i]), RuleSupport.Accuracy(d, _task, _pes[i + 1]));
            var step = $"{_pes[i]} {_relations[i]} {_pes[i + 1]} ({RuleSupport.Num(sa.Mean)} vs {RuleSupport.Num(sb.Mean)})";
            if (_relations[i] == '>' && Math.Abs(sa.Mean - sb.Mean) < RuleSupport.Noise(sa, sb)) undecided.Add(step);
            else if (_relations[i] == '>' ? !(sa.Mean > sb.Mean) : Math.Abs(sa.Mean - sb.Mean) > _tol) failed.Add(step);
        }
        var ours = string.Join(", ", _pes.Select(p => $"{p} {RuleSupport.Num(RuleSupport.Accuracy(d, _task, p).Mean)}"));
        if (failed.Count > 0) return Verdict.Of(false, ours, "fails: " + string.Join("; ", failed));
        if (undecided.Count > 0) return Verdict.Inconclusive("within noise: " + string.Join("; ", undecided), ours);
        return Verdict.Of(true, ours, $"every step of the order holds on {_task} (~ within {RuleSupport.Num(_tol)})");
    }
}
