using PeTools.Core.Errors;
using PeTools.Core.Tasks;
using static PeTools.Core.Tests.Tasks.Generated;

namespace PeTools.Core.Tests.Tasks;

/// <summary>An independent checker for the count task: every target is re-counted from the tokens.</summary>
public class CountTaskTests
{
    private static SyntheticTask Build(int nTrain = 1500, int nTest = 500, long seed = 1, bool faithful = false,
        IReadOnlyList<int>? testLens = null, Dictionary<string, int>? extra = null)
    {
        var values = new Dictionary<string, int> { ["n-train"] = nTrain, ["n-test"] = nTest };
        foreach (var (k, v) in extra ?? []) values[k] = v;
        return CountTask.Info.Build(values, seed, faithful, testLens);
    }

    [Fact]
    public void Every_target_is_the_number_of_trigger_tokens_in_a_row_of_exactly_seq_len()
    {
        var task = Build();
        var triggers = Triggers(task).ToHashSet();
        Assert.Equal(30, triggers.Count);
        Assert.DoesNotContain(0, triggers);
        var rows = Rows(task);
        Assert.Equal(2000, rows.Count);
        foreach (var r in rows)
        {
            Assert.Equal(120, r.Tokens.Length);
            Assert.All(r.Tokens, id => Assert.InRange(id, 1, 573));
            Assert.Equal(r.Tokens.Count(triggers.Contains), r.Target);
            Assert.InRange(r.Target, 0, 100);
        }
        Assert.True(rows.Min(r => r.Target) <= 2 && rows.Max(r => r.Target) >= 98, "the range 0..100 is covered");
        Assert.Equal(rows.Count, rows.Select(r => string.Join(' ', r.Tokens)).Distinct().Count());
    }

    [Fact]
    public void Triggers_are_shuffled_through_the_row_not_packed_at_its_start()
    {
        var task = Build(nTrain: 1000, nTest: 10);
        var triggers = Triggers(task).ToHashSet();
        // With k/120 triggers at random places, the first 10 positions hold about k/12 of them; packed at the
        // start they would hold min(k, 10). Compare the totals over rows with k around 50.
        var rows = Rows(task).Where(r => r.Target is >= 40 and <= 60).ToList();
        double inHead = rows.Average(r => r.Tokens.Take(10).Count(triggers.Contains));
        double expected = rows.Average(r => r.Target / 12.0);
        Assert.InRange(inHead, expected * 0.8, expected * 1.2);
    }

    [Fact]
    public void Max_count_is_capped_at_seq_len_like_the_reference()
    {
        var task = Build(extra: new() { ["seq-len"] = 40 });
        Assert.Equal(40, Params(task).GetProperty("splits")[0].GetProperty("max-count").GetInt32());
        Assert.All(Rows(task), r => Assert.InRange(r.Target, 0, 40));
    }

    [Fact]
    public void Test_length_splits_have_exactly_N_tokens_and_a_proportionally_larger_count_range()
    {
        var task = Build(nTrain: 100, nTest: 600, testLens: [240]);
        var triggers = Triggers(task).ToHashSet();
        var longRows = Rows(task).Where(r => r.Split == "test-240").ToList();
        Assert.Equal(600, longRows.Count);
        Assert.All(longRows, r =>
        {
            Assert.Equal(240, r.Tokens.Length);
            Assert.Equal(r.Tokens.Count(triggers.Contains), r.Target);
            Assert.InRange(r.Target, 0, 200);
        });
        Assert.True(longRows.Max(r => r.Target) > 150);
    }

    [Fact]
    public void Faithful_count_records_that_the_reference_did_not_deduplicate()
    {
        Assert.False(Params(Build(faithful: true)).GetProperty("dedup_within_split").GetBoolean());
        Assert.True(Params(Build()).GetProperty("dedup_within_split").GetBoolean());
    }

    [Fact]
    public void A_space_too_small_for_the_rows_asked_is_a_usage_error_not_a_hang()
    {
        // 2 fillers, 1 trigger, rows of 3 tokens with 0..1 triggers: at most 2^3 + 3 * 2^2 = 20 sequences.
        var e = Assert.Throws<UsageError>(() => Rows(Build(nTrain: 50, nTest: 1,
            extra: new() { ["vocab"] = 4, ["n-triggers"] = 1, ["seq-len"] = 3, ["max-count"] = 1 })));
        Assert.Contains("distinct sequences", e.Message);
    }

    [Theory]
    [InlineData("vocab", 31, "--vocab")]       // 30 triggers + padding leave no filler
    [InlineData("n-triggers", 0, "--n-triggers")]
    [InlineData("min-count", 101, "--min-count")]
    [InlineData("seq-len", 0, "--seq-len")]
    [InlineData("n-train", -1, "--n-train")]
    public void Impossible_settings_are_usage_errors_naming_the_option(string name, int value, string option)
    {
        var e = Assert.Throws<UsageError>(() => Build(extra: new() { [name] = value }));
        Assert.Contains(option, e.Message);
    }
}
