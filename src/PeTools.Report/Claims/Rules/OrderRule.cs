using System.Text.RegularExpressions;
using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary>
/// <c>order(task=T,pes=A&gt;B~C,tol=X)</c>: mean final test accuracies follow the chain, where A&gt;B means higher and
/// B~C means within X of each other (default 0.02).
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
        var failed = new List<string>();
        for (int i = 0; i < _relations.Count; i++)
        {
            double a = RuleSupport.Accuracy(d, _task, _pes[i]).Mean, b = RuleSupport.Accuracy(d, _task, _pes[i + 1]).Mean;
            bool holds = _relations[i] == '>' ? a > b : Math.Abs(a - b) <= _tol;
            if (!holds) failed.Add($"{_pes[i]} {_relations[i]} {_pes[i + 1]} fails ({RuleSupport.Num(a)} vs {RuleSupport.Num(b)})");
        }
        var ours = string.Join(", ", _pes.Select(p => $"{p} {RuleSupport.Num(RuleSupport.Accuracy(d, _task, p).Mean)}"));
        return Verdict.Of(failed.Count == 0, ours,
            failed.Count == 0 ? $"every step of the order holds on {_task} (~ within {RuleSupport.Num(_tol)})" : string.Join("; ", failed));
    }
}
