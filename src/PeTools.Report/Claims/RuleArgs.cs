using System.Globalization;
using PeTools.Core.Errors;

namespace PeTools.Report.Claims;

/// <summary>
/// The key=value arguments of one rule, e.g. <c>greater(task=count,a=nope,b=rope)</c>. Every key must be used by the
/// rule (a misspelt key is an error, not a silent default); bad values raise <see cref="RuleError"/>.
/// </summary>
public sealed class RuleArgs(string rule, IReadOnlyDictionary<string, string> values)
{
    private readonly HashSet<string> _used = [];

    public string Rule { get; } = rule;

    public string Required(string key)
    {
        _used.Add(key);
        return values.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new RuleError($"{Rule}: a value for '{key}'", "none");
    }

    public string? Optional(string key)
    {
        _used.Add(key);
        return values.TryGetValue(key, out var v) ? v : null;
    }

    public string Optional(string key, string fallback) => Optional(key) ?? fallback;

    public double Number(string key) => ParseNumber(key, Required(key));

    public double Number(string key, double fallback) => Optional(key) is { } v ? ParseNumber(key, v) : fallback;

    /// <summary>A list separated by '|' (e.g. among=rope|alibi|nope), or null.</summary>
    public IReadOnlyList<string>? List(string key) => Optional(key)?.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public LayerSelector Layers(string key, string fallback) => LayerSelector.Parse(Optional(key, fallback), Rule, key);

    /// <summary>Fails on keys the rule did not read.</summary>
    public void CheckAllUsed()
    {
        var unknown = values.Keys.Where(k => !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new RuleError($"{Rule}: only the keys {string.Join(", ", _used.Order(StringComparer.Ordinal))}", $"'{string.Join("', '", unknown)}'");
    }

    private double ParseNumber(string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new RuleError($"{Rule}: a number for '{key}'", $"'{text}'");
}

/// <summary>A malformed rule: becomes an <see cref="InputError"/> naming the claims file, row and column.</summary>
public sealed class RuleError(string expected, string found) : Exception($"expected {expected}, found {found}")
{
    public string Expected { get; } = expected;
    public string Found { get; } = found;
}

/// <summary>
/// Layers named so that a rule works on any depth: first, second, last, shallow (the first half, rounded up),
/// deep (the second half), all, a number or a range a-b (0-based).
/// </summary>
public sealed record LayerSelector(string Text)
{
    private static readonly string[] Words = ["first", "second", "last", "shallow", "deep", "all"];

    public static LayerSelector Parse(string text, string rule, string key)
    {
        var ok = Words.Contains(text) || int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) ||
                 (text.Split('-') is [var a, var b] && int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var lo) &&
                  int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var hi) && lo <= hi);
        return ok ? new LayerSelector(text) : throw new RuleError($"{rule}: '{key}' as {string.Join(", ", Words)}, N or A-B", $"'{text}'");
    }

    /// <summary>The 0-based layers of a model with <paramref name="layers"/> layers (indices beyond it are dropped).</summary>
    public IReadOnlyList<int> Resolve(int layers)
    {
        int half = (layers + 1) / 2;
        IEnumerable<int> r = Text switch
        {
            "first" => [0],
            "second" => [1],
            "last" => [layers - 1],
            "shallow" => Enumerable.Range(0, half),
            "deep" => Enumerable.Range(layers / 2, layers - layers / 2),
            "all" => Enumerable.Range(0, layers),
            _ when Text.Contains('-') => Range(Text),
            _ => [int.Parse(Text, CultureInfo.InvariantCulture)],
        };
        return r.Where(l => l >= 0 && l < layers).Distinct().Order().ToList();
    }

    public override string ToString() => Text;

    private static IEnumerable<int> Range(string text)
    {
        var p = text.Split('-').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return Enumerable.Range(p[0], p[1] - p[0] + 1);
    }
}
