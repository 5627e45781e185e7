using System.Text.RegularExpressions;

namespace PeTools.Report.Claims;

/// <summary>
/// Parses a rule cell: <c>none</c>, or terms <c>name(key=value,...)</c> joined by <c>&amp;</c> (all must hold). Values
/// hold no commas, parentheses or '&amp;'; lists inside a value are separated by '|'.
/// </summary>
public static partial class RuleParser
{
    public const string None = "none";

    [GeneratedRegex(@"^(?<name>[a-z_]+)\s*\((?<args>[^()]*)\)$")]
    private static partial Regex Term();

    public static IClaimRule Parse(string text, string note = "")
    {
        var trimmed = text.Trim();
        if (trimmed == None) return new NoneRule(note);
        var terms = trimmed.Split('&', StringSplitOptions.TrimEntries).Select(ParseTerm).ToList();
        return terms.Count == 1 ? terms[0] : new AllRule(terms);
    }

    private static IClaimRule ParseTerm(string term)
    {
        var m = Term().Match(term);
        if (!m.Success) throw new RuleError("name(key=value,...) or none", $"'{term}'");
        var name = m.Groups["name"].Value;
        var kind = ClaimRules.Find(name) ?? throw new RuleError($"a rule among {string.Join(", ", ClaimRules.All.Select(k => k.Name))}", $"'{name}'");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in m.Groups["args"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[0].Length == 0) throw new RuleError($"{name}: key=value", $"'{pair}'");
            if (!values.TryAdd(kv[0], kv[1])) throw new RuleError($"{name}: each key once", $"'{kv[0]}' twice");
        }
        var args = new RuleArgs(name, values);
        var rule = kind.Create(args);
        args.CheckAllUsed();
        return rule;
    }
}

/// <summary>Several rules that must all hold: not reproduced if one fails, else inconclusive if one is, else reproduced.</summary>
public sealed class AllRule(IReadOnlyList<IClaimRule> rules) : IClaimRule
{
    public IReadOnlyList<IClaimRule> Rules { get; } = rules;

    public Verdict Evaluate(Results.ReportData data)
    {
        var v = Rules.Select(r => r.Evaluate(data)).ToList();
        var outcome = v.Any(x => x.Outcome == Outcome.NotReproduced) ? Outcome.NotReproduced
            : v.Any(x => x.Outcome == Outcome.Inconclusive) ? Outcome.Inconclusive
            : Outcome.Reproduced;
        var deciding = outcome == Outcome.Reproduced ? v : v.Where(x => x.Outcome == outcome);
        var ours = string.Join("; ", v.Select(x => x.Ours).Where(o => o is not ("–" or "")).Distinct());
        return new Verdict(outcome, ours.Length == 0 ? "–" : ours,
            string.Join("; ", deciding.Select(x => x.Reason).Distinct()));
    }
}

/// <summary>A claim our tables cannot test: always inconclusive, with the claims file's note as the reason.</summary>
public sealed class NoneRule(string note) : IClaimRule
{
    public Verdict Evaluate(Results.ReportData data) =>
        Verdict.Inconclusive(note.Length > 0 ? note : "no rule: not testable from pe-tools tables");
}
