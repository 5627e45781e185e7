namespace PeTools.Core.Tables;

/// <summary>Tables of pe-report: the paper's claims it checks, and its verdicts on them.</summary>
public static partial class Schemas
{
    public static class ClaimColumns
    {
        public const string Id = "id";
        public const string Claim = "claim";
        public const string Paper = "paper";
        public const string Figure = "figure";
        public const string Rule = "rule";
        public const string Note = "note";
        public const string Verdict = "verdict";
        public const string Ours = "ours";
        public const string Reason = "reason";
    }

    public static class ClaimRuleColumns
    {
        public const string Name = "name";
        public const string Usage = "usage";
        public const string Description = "description";
    }

    /// <summary>The rule vocabulary of claims files (pe-report rules).</summary>
    public static readonly TableSchema ClaimRules = new("claim-rules", "the rules a claims file can use (pe-report rules)",
    [
        new(ClaimRuleColumns.Name, ColumnType.String, "rule name"),
        new(ClaimRuleColumns.Usage, ColumnType.String, "its keys; [optional, with defaults]"),
        new(ClaimRuleColumns.Description, ColumnType.String, "what must hold for 'reproduced'"),
    ]);

    /// <summary>The paper's testable claims (shared/paper/paper.md §8), each with a machine-evaluable rule.</summary>
    public static readonly TableSchema Claims = new("claims", "the paper's claims and the rule that checks each (pe-report --claims)",
    [
        new(ClaimColumns.Id, ColumnType.String, "claim id, e.g. C1"),
        new(ClaimColumns.Claim, ColumnType.String, "the claim in one sentence"),
        new(ClaimColumns.Paper, ColumnType.String, "the paper's number(s) for it"),
        new(ClaimColumns.Figure, ColumnType.String, "the figure or table it rests on"),
        new(ClaimColumns.Rule, ColumnType.String, "rule(key=value,...) joined by ' & ', or none (pe-report rules lists them)"),
        new(ClaimColumns.Note, ColumnType.String, "why the rule is what it is, or why there is none", Required: false),
    ]);

    /// <summary>The "paper vs ours" table as data (pe-report --verdicts).</summary>
    public static readonly TableSchema ClaimVerdicts = new("claim-verdicts", "each claim's verdict on the tables given (pe-report --verdicts)",
    [
        new(ClaimColumns.Id, ColumnType.String, "claim id"),
        new(ClaimColumns.Verdict, ColumnType.String, "reproduced, not reproduced or inconclusive"),
        new(ClaimColumns.Claim, ColumnType.String, "the claim"),
        new(ClaimColumns.Paper, ColumnType.String, "the paper's number(s)"),
        new(ClaimColumns.Ours, ColumnType.String, "our numbers: mean ± std over seeds (n seeds) and what was compared"),
        new(ClaimColumns.Reason, ColumnType.String, "why, in one line"),
        new(ClaimColumns.Figure, ColumnType.String, "the paper's figure or table"),
        new(ClaimColumns.Rule, ColumnType.String, "the rule evaluated"),
    ]);
}
