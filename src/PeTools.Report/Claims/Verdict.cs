namespace PeTools.Report.Claims;

public enum Outcome
{
    Reproduced,
    NotReproduced,
    Inconclusive,
}

/// <summary>What a rule found: the outcome, our numbers, and why (one line each).</summary>
public sealed record Verdict(Outcome Outcome, string Ours, string Reason)
{
    public static Verdict Inconclusive(string reason, string ours = "–") => new(Outcome.Inconclusive, ours, reason);

    public static Verdict Of(bool holds, string ours, string reason) =>
        new(holds ? Outcome.Reproduced : Outcome.NotReproduced, ours, reason);

    public string OutcomeName => Name(Outcome);

    public static string Name(Outcome outcome) => outcome switch
    {
        Outcome.Reproduced => "reproduced",
        Outcome.NotReproduced => "not reproduced",
        _ => "inconclusive",
    };
}

/// <summary>A claim of the paper (a row of claims.csv) with its parsed rule.</summary>
public sealed record Claim(string Id, string Statement, string Paper, string Figure, string RuleText, string Note, IClaimRule Rule);

/// <summary>One machine-evaluable check of a claim on our tables (one class per rule kind, listed in <see cref="ClaimRules"/>).</summary>
public interface IClaimRule
{
    Verdict Evaluate(Results.ReportData data);
}
