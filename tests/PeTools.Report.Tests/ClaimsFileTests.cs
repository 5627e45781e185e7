using PeTools.Report.Claims;

namespace PeTools.Report.Tests;

/// <summary>The committed examples/paper/claims.csv: every claim of paper.md §8, each rule parsable.</summary>
public class ClaimsFileTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "pe-tools.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    [Fact]
    public void The_committed_claims_file_has_C1_to_C24_once_each_with_a_parsed_rule()
    {
        var claims = ClaimsFile.Read(RepoFile("examples/paper/claims.csv"));
        Assert.Equal(Enumerable.Range(1, 24).Select(i => $"C{i}"), claims.Select(c => c.Id));
        Assert.All(claims, c => Assert.False(string.IsNullOrWhiteSpace(c.Statement + c.Paper + c.Figure)));
        // Rules name PE variants the way the report does (rope, rope/mla, rope:k2), never the run-folder spelling.
        Assert.All(claims, c => Assert.DoesNotContain("rope-mla", c.RuleText));
        Assert.All(claims, c => Assert.DoesNotContain("rope-k", c.RuleText));
    }

    [Fact]
    public void Every_claim_is_inconclusive_on_no_tables_rather_than_failing()
    {
        var claims = ClaimsFile.Read(RepoFile("examples/paper/claims.csv"));
        var data = new Given().Data(claims);
        Assert.All(claims, c => Assert.Equal(Outcome.Inconclusive, c.Rule.Evaluate(data).Outcome));
    }
}
