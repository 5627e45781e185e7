using PeTools.Core.Errors;
using PeTools.Core.Tasks;
using static PeTools.Core.Tests.Tasks.Generated;

namespace PeTools.Core.Tests.Tasks;

/// <summary>
/// An independent checker for the distance task: it knows nothing of the generator's internals and re-derives
/// every target from the tokens and the trigger ids recorded in the metadata.
/// </summary>
public class DistanceTaskTests
{
    private static SyntheticTask Build(int nTrain = 1500, int nTest = 500, long seed = 1, bool faithful = false,
        IReadOnlyList<int>? testLens = null, Dictionary<string, int>? extra = null)
    {
        var values = new Dictionary<string, int> { ["n-train"] = nTrain, ["n-test"] = nTest };
        foreach (var (k, v) in extra ?? []) values[k] = v;
        return DistanceTask.Info.Build(values, seed, faithful, testLens);
    }

    /// <summary>Checks one clean row; returns (left, middle, right) segment lengths.</summary>
    private static (int L, int M, int R) CheckClean(int[] t, int target, int w1, int w2, int maxLen, int vocab)
    {
        Assert.True(t.Length <= maxLen, $"length {t.Length} > {maxLen}");
        Assert.All(t, id => Assert.InRange(id, 1, vocab - 1)); // never padding, never outside the vocabulary
        Assert.Equal(1, t.Count(x => x == w1));
        Assert.Equal(1, t.Count(x => x == w2));
        int p1 = Array.IndexOf(t, w1), p2 = Array.IndexOf(t, w2);
        Assert.True(p1 < p2, "w1 must come before w2");
        Assert.Equal(p2 - p1, target);
        // Fillers are drawn without replacement inside each segment.
        foreach (var segment in new[] { t[..p1], t[(p1 + 1)..p2], t[(p2 + 1)..] })
            Assert.Equal(segment.Length, segment.Distinct().Count());
        return (p1, p2 - p1 - 1, t.Length - p2 - 1);
    }

    [Fact]
    public void Every_clean_target_is_the_distance_between_the_only_two_triggers()
    {
        var task = Build();
        var (w1, w2) = (Triggers(task)[0], Triggers(task)[1]);
        var rows = Rows(task);
        Assert.Equal(2000, rows.Count);
        var ls = new HashSet<int>();
        var ms = new HashSet<int>();
        foreach (var r in rows)
        {
            var (l, m, right) = CheckClean(r.Tokens, r.Target, w1, w2, 120, 574);
            Assert.InRange(l, 1, 25);
            Assert.InRange(m, 1, 70);
            Assert.InRange(right, 1, 25);
            ls.Add(l);
            ms.Add(m);
        }
        // The whole ranges are used: every L in 1..25 and every distance 2..71 occurs in 2,000 rows.
        Assert.Equal(Enumerable.Range(1, 25), ls.Order());
        Assert.Equal(Enumerable.Range(1, 70), ms.Order());
    }

    [Fact]
    public void Splits_have_the_asked_sizes_in_order_and_no_sequence_appears_twice()
    {
        var rows = Rows(Build(nTrain: 1200, nTest: 300));
        Assert.Equal(Enumerable.Repeat("train", 1200).Concat(Enumerable.Repeat("test", 300)), rows.Select(r => r.Split));
        Assert.Equal(rows.Count, rows.Select(r => string.Join(' ', r.Tokens)).Distinct().Count());
    }

    [Fact]
    public void Faithful_mode_lets_triggers_appear_as_fillers_and_keeps_one_valid_parse()
    {
        var task = Build(faithful: true);
        var (w1, w2) = (Triggers(task)[0], Triggers(task)[1]);
        var rows = Rows(task);
        int extra = 0;
        foreach (var r in rows)
        {
            var t = r.Tokens;
            Assert.All(t, id => Assert.InRange(id, 1, 573));
            // Some w1 and some w2 stand exactly `target` apart (the generator's own parse).
            bool parse = Enumerable.Range(0, t.Length).Any(i => t[i] == w1 && i + r.Target < t.Length && t[i + r.Target] == w2);
            Assert.True(parse, "no (w1, w2) pair at the target distance");
            if (t.Count(x => x == w1 || x == w2) > 2) extra++;
        }
        // reference-code.md §2.2 estimates ~19.6% of rows carry an extra trigger copy.
        double share = extra / (double)rows.Count;
        Assert.InRange(share, 0.12, 0.28);
        Assert.Equal(rows.Count, rows.Select(r => string.Join(' ', r.Tokens)).Distinct().Count());
    }

    [Fact]
    public void Test_length_splits_stretch_sides_and_middle_by_N_over_seq_len()
    {
        var task = Build(nTrain: 200, nTest: 1000, testLens: [240]);
        var (w1, w2) = (Triggers(task)[0], Triggers(task)[1]);
        var longRows = Rows(task).Where(r => r.Split == "test-240").ToList();
        Assert.Equal(1000, longRows.Count);
        var ms = new List<int>();
        foreach (var r in longRows)
        {
            var (l, m, right) = CheckClean(r.Tokens, r.Target, w1, w2, 240, 574);
            Assert.InRange(l, 1, 50);     // 25 * 2
            Assert.InRange(m, 1, 140);    // 70 * 2
            Assert.InRange(right, 1, 50);
            ms.Add(m);
        }
        Assert.True(ms.Max() > 130 && longRows.Max(r => r.Tokens.Length) > 200, "the stretched range is used");
        var split = Params(task).GetProperty("splits")[2];
        Assert.Equal("test-240", split.GetProperty("name").GetString());
        Assert.Equal(140, split.GetProperty("max-between").GetInt32());
        Assert.Equal(50, split.GetProperty("max-side").GetInt32());
    }

    [Fact]
    public void Adding_a_test_length_split_leaves_train_and_test_unchanged()
    {
        var plain = Rows(Build(nTrain: 300, nTest: 100));
        var longer = Rows(Build(nTrain: 300, nTest: 100, testLens: [200, 300]));
        Assert.Equal(plain.Select(r => string.Join(' ', r.Tokens)), longer.Take(400).Select(r => string.Join(' ', r.Tokens)));
        Assert.Equal(600, longer.Count);
    }

    [Fact]
    public void Smaller_row_counts_give_a_prefix_of_larger_ones()
    {
        var small = Rows(Build(nTrain: 700, nTest: 10)).Take(700);
        var large = Rows(Build(nTrain: 3000, nTest: 10)).Take(700);
        Assert.Equal(small.Select(r => r.Target), large.Select(r => r.Target));
    }

    [Fact]
    public void Output_does_not_depend_on_how_many_chunks_are_drawn_in_parallel()
    {
        var one = Rows(Build(nTrain: 5000, nTest: 100), chunksAhead: 1);
        var many = Rows(Build(nTrain: 5000, nTest: 100), chunksAhead: 8);
        Assert.Equal(one.Select(r => string.Join(' ', r.Tokens)), many.Select(r => string.Join(' ', r.Tokens)));
    }

    [Theory]
    [InlineData("seq-len", 97, "--seq-len")]      // 25 + 70 + 3 = 98 needed
    [InlineData("max-between", 0, "--max-between")] // below --min-between 1
    [InlineData("vocab", 60, "--vocab")]          // 70 distinct middle fillers cannot come from 57 ids
    [InlineData("n-train", 0, "--n-train")]
    [InlineData("n-test", -3, "--n-test")]
    public void Impossible_settings_are_usage_errors_naming_the_option(string name, int value, string option)
    {
        var e = Assert.Throws<UsageError>(() => Build(extra: new() { [name] = value }));
        Assert.Contains(option, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Test_lengths_must_exceed_the_training_length()
    {
        Assert.Throws<UsageError>(() => Build(testLens: [120]));
        Assert.Throws<UsageError>(() => Build(testLens: [200, 200]));
    }
}
