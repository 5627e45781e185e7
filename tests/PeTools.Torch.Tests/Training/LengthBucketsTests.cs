using PeTools.Torch.Training;

namespace PeTools.Torch.Tests.Training;

/// <summary>Length-bucketed batch order (standard architecture): a permutation, batched as before, less padding.</summary>
public class LengthBucketsTests
{
    private static (long[] Order, int[] Lengths) Epoch(int rows, int seed)
    {
        var rng = new Random(seed);
        var lengths = Enumerable.Range(0, rows).Select(_ => rng.Next(3, 60)).ToArray();
        var order = Enumerable.Range(0, rows).Select(i => (long)i).OrderBy(_ => rng.Next()).ToArray();
        return (order, lengths);
    }

    [Fact]
    public void Bucketing_is_a_permutation_whose_batches_run_at_their_longest_row_with_less_padding()
    {
        // Seeded property test over sizes, batch sizes and windows (the last batch may be short)
        var sizes = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            // Given an epoch's random order and lengths
            int rows = sizes.Next(1, 900), batch = sizes.Next(1, 70), window = sizes.Next(1, 9);
            var (order, lengths) = Epoch(rows, trial);

            // When it is bucketed
            var (arranged, batchLengths) = LengthBuckets.Arrange(order, lengths, batch, window, new Random(trial));

            // Then every row appears once, batches sit at multiples of the batch size (only the last is short), each
            // batch's length is its longest row's, and the padded tokens are no more than unbucketed batches'
            Assert.Equal(order.Order(), arranged.Order());
            int batches = (rows + batch - 1) / batch;
            Assert.Equal(batches, batchLengths.Length);
            for (int b = 0; b < batches; b++)
            {
                var members = arranged.Skip(b * batch).Take(batch).ToArray();
                Assert.Equal(members.Max(r => lengths[r]), batchLengths[b]);
            }
            long Padded(long[] o) => Enumerable.Range(0, batches).Sum(b =>
            {
                var members = o.Skip(b * batch).Take(batch).ToArray();
                return (long)members.Length * members.Max(r => lengths[r]);
            });
            Assert.True(Padded(arranged) <= Padded(order), $"trial {trial}: {Padded(arranged)} > {Padded(order)}");
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_another_seed_other_batches()
    {
        // Given one epoch order
        var (order, lengths) = Epoch(600, 1);

        // When it is bucketed twice with one seed and once with another
        var a = LengthBuckets.Arrange(order, lengths, 16, 8, new Random(5));
        var b = LengthBuckets.Arrange(order, lengths, 16, 8, new Random(5));
        var c = LengthBuckets.Arrange(order, lengths, 16, 8, new Random(6));

        // Then the first two agree exactly (resume depends on it) and the third differs in batch order
        Assert.Equal(a.Order, b.Order);
        Assert.Equal(a.BatchLengths, b.BatchLengths);
        Assert.NotEqual(a.Order, c.Order);
    }

    [Fact]
    public void Bucketing_cuts_the_padded_tokens_of_a_spread_of_lengths_substantially()
    {
        // Given 512-row batches of lengths 3..59 in random order
        var (order, lengths) = Epoch(512 * 64, 2);

        // When bucketed with windows of 32 batches (pe-train's default)
        var (_, batchLengths) = LengthBuckets.Arrange(order, lengths, 512, 32, new Random(3));

        // Then the mean batch length is well under the split's 59 (unbucketed: every batch holds a 59 in practice)
        Assert.True(batchLengths.Average() < 40, $"mean batch length {batchLengths.Average()}");
    }
}
