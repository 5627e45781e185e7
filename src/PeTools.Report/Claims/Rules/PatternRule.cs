using PeTools.Core.Heads;
using PeTools.Report.Results;

namespace PeTools.Report.Claims.Rules;

/// <summary><c>pattern(task=T,pe=P,layer=L,is=deposit|shock|spread|average)</c>: layer L has that label in most of P's seeds.</summary>
public sealed class PatternRule(string task, string pe, LayerSelector layer, DepositPattern pattern) : IClaimRule
{
    public Verdict Evaluate(ReportData d)
    {
        var runs = d.AblationsOf(task, pe);
        if (runs.Count == 0) return RuleSupport.NoAblation(task, pe);
        var picked = layer.Resolve(runs[0].Layers);
        if (picked.Count != 1) return Verdict.Inconclusive($"pattern needs one layer; '{layer}' is {picked.Count} layers here");
        int l = picked[0];
        var labels = runs.Select(r => r.Layer(l).Pattern).ToList();
        var vote = (Count: labels.Count(p => p == pattern), Of: runs.Count);
        return RuleSupport.Vote(vote, $"{pe} layer {l}: {string.Join(", ", labels.Select(p => p.Name()))}",
            $"of {pe} on {task} label layer {l} {pattern.Name()}");
    }

    public static DepositPattern ParsePattern(string text) =>
        Enum.GetValues<DepositPattern>().FirstOrDefault(p => p.Name() == text, (DepositPattern)(-1)) is var p && Enum.IsDefined(p)
            ? p
            : throw new RuleError("pattern: is=deposit, shock, spread or average", $"'{text}'");
}
