namespace PeTools.Torch.Training;

/// <summary>
/// Length-bucketed batches for the standard architecture, whose output does not depend on trailing padding (padding
/// keys are masked and pooling skips padding; a test pins it): the epoch's random order is cut into windows of
/// <c>window</c> batches, each window is sorted by length (stably, so equal lengths keep their random order) and cut
/// into batches, and the batches of each window are shuffled. Each batch then runs at its own longest row instead of
/// the split's, so padding costs little. A pure function of (order, lengths, seed): the data order of an epoch stays
/// a function of the run seed and the epoch, which is what makes resuming bit-exact.
/// </summary>
public static class LengthBuckets
{
    /// <summary>The arranged order (batches at multiples of <paramref name="batchSize"/>, as before) and each batch's longest row.</summary>
    public static (long[] Order, int[] BatchLengths) Arrange(long[] order, IReadOnlyList<int> lengths, int batchSize, int window, Random rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        var arranged = new long[order.Length];
        var batchLengths = new List<int>();
        long windowRows = (long)window * batchSize;
        for (long start = 0; start < order.Length; start += windowRows)
        {
            var rows = new ArraySegment<long>(order, (int)start, (int)Math.Min(windowRows, order.Length - start))
                .OrderBy(r => lengths[(int)r]).ToArray();                                      // stable: ties keep the random order
            var batches = rows.Chunk(batchSize).ToArray();
            for (int i = batches.Length - 1; i > 0; i--)                                      // Fisher-Yates over the batches
            {
                int j = rng.Next(i + 1);
                (batches[i], batches[j]) = (batches[j], batches[i]);
            }
            // A window's rows are a multiple of the batch size except in the last window, whose short batch goes last.
            var shortLast = batches.OrderBy(b => b.Length < batchSize ? 1 : 0).ToArray();      // stable
            long at = start;
            foreach (var batch in shortLast)
            {
                batch.CopyTo(arranged, at);
                at += batch.Length;
                batchLengths.Add(batch.Max(r => lengths[(int)r]));
            }
        }
        return (arranged, [.. batchLengths]);
    }
}
