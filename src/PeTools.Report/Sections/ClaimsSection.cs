using PeTools.Report.Claims;
using PeTools.Report.Output;
using PeTools.Report.Results;

namespace PeTools.Report.Sections;

/// <summary>"Paper vs ours": every claim of the claims file with the paper's numbers, ours, and a verdict (pe-report --claims).</summary>
public sealed class ClaimsSection : IReportSection
{
    public string Title => "Paper vs ours";
    public IReadOnlyList<string> Kinds => [];

    public bool AppliesTo(ReportData data) => data.Claims is { Count: > 0 };

    public SectionContent? Build(ReportData data)
    {
        var verdicts = Evaluate(data);
        var table = new MarkdownTable("claim", "paper", "ours", "verdict", "figure");
        foreach (var (claim, v) in verdicts)
            table.Add($"**{claim.Id}** {claim.Statement}", claim.Paper, v.Ours, $"**{v.OutcomeName}**: {v.Reason}", claim.Figure);
        var counts = string.Join(", ", Enum.GetValues<Outcome>().Select(o => $"{verdicts.Count(x => x.Verdict.Outcome == o)} {Verdict.Name(o)}"));
        return SectionContent.Text(
            $"{verdicts.Count} claims of the paper (shared/paper/paper.md §8), each checked by the rule in the claims file on the tables " +
            $"given: {counts}. Means are over seeds (n = seeds); a rule that lacks its tables is inconclusive.\n\n{table}");
    }

    public static IReadOnlyList<(Claim Claim, Verdict Verdict)> Evaluate(ReportData data) =>
        (data.Claims ?? []).Select(c => (c, c.Rule.Evaluate(data))).ToList();
}
