using System.Numerics;
using System.Runtime.InteropServices;
using PeTools.Core.Errors;
using PeTools.Core.Tables;

namespace PeTools.Core.Tasks;

/// <summary>
/// Turns a task into dataset batches, split after split, without holding the dataset in memory.
/// <para>
/// A split is defined as "the first <c>Rows</c> new sequences of an endless stream of candidate chunks", where
/// chunk <c>c</c> of split <c>s</c> is drawn from its own generator <c>Xoshiro256.ForStream(seed(s), c)</c>. Chunks
/// are therefore independent and are drawn ahead on the thread pool, while deduplication walks them strictly in
/// chunk order on the caller's thread: the bytes depend on the seed alone, not on the core count. Because chunk
/// size is fixed, <c>--n-train 1000</c> is a prefix of <c>--n-train 2000</c>, and a split's seed is named after
/// the split, so adding a test-N split leaves train and test unchanged.
/// </para>
/// </summary>
public static class DatasetGenerator
{
    public const int ChunkRows = 1024;

    /// <summary>
    /// Candidates rejected in a row before concluding the task cannot produce enough distinct sequences
    /// (a tiny --vocab or --seq-len with a large --n-train): a usage error instead of an endless loop.
    /// </summary>
    public const int MaxConsecutiveRepeats = 100_000;

    /// <summary>
    /// Chunks drawn ahead on the thread pool by default: enough to keep every core drawing while the caller's
    /// thread writes a Parquet row group (16 chunks = one 16,384-row group), few enough to keep the live set small.
    /// </summary>
    public static int DefaultChunksAhead => Math.Max(16, 2 * Environment.ProcessorCount);

    public static IEnumerable<TableBatch> Generate(SyntheticTask task, Action<long>? progress = null, int? chunksAhead = null)
    {
        int ahead = Math.Max(1, chunksAhead ?? DefaultChunksAhead);
        var earlier = new List<SequenceSet>();
        long done = 0;
        foreach (var split in task.Splits)
        {
            long seed = task.Seeds.For("split/" + split.Name);
            var current = new SequenceSet(split.Rows);
            var queue = new Queue<Task<Chunk>>();
            long nextChunk = 0;
            int accepted = 0, repeats = 0;
            while (accepted < split.Rows)
            {
                // Draw ahead no further than the rows still missing could use (small splits stay cheap).
                long useful = (split.Rows - accepted + ChunkRows - 1) / ChunkRows;
                while (queue.Count < Math.Min(ahead, useful))
                {
                    long index = nextChunk++;
                    queue.Enqueue(Task.Run(() => Chunk.Draw(split, seed, index)));
                }
                var chunk = queue.Dequeue().GetAwaiter().GetResult();
                var keep = new List<int>(chunk.Rows.Length);
                for (int i = 0; i < chunk.Rows.Length && accepted + keep.Count < split.Rows; i++)
                {
                    ulong h = chunk.Hashes[i];
                    bool repeat = (task.DedupWithinSplit && current.Contains(h)) || SeenIn(earlier, h);
                    if (repeat)
                    {
                        if (++repeats >= MaxConsecutiveRepeats)
                            throw new UsageError($"task '{task.Definition.Key}': found only {accepted + keep.Count} distinct " +
                                                 $"sequences for split '{split.Name}' ({split.Rows} asked); raise --vocab " +
                                                 "or the length ranges, or lower the row counts");
                        continue;
                    }
                    repeats = 0;
                    current.Add(h);
                    keep.Add(i);
                }
                accepted += keep.Count;
                done += keep.Count;
                if (keep.Count > 0) yield return chunk.ToBatch(split.Name, keep);
                progress?.Invoke(done);
            }
            earlier.Add(current);
        }
    }

    // A loop, not List.Exists: a lambda capturing the fingerprint would allocate once per row.
    private static bool SeenIn(List<SequenceSet> sets, ulong h)
    {
        foreach (var s in sets)
            if (s.Contains(h)) return true;
        return false;
    }

    /// <summary>
    /// A 64-bit fingerprint of a sequence, computed 64 bits at a time. Each step is a bijection of the running
    /// state for a fixed word (and of the word for a fixed state), so sequences of equal length that differ in one
    /// word never collide; others collide with probability ~2^-64, which only drops a valid row, never keeps a
    /// repeat.
    /// </summary>
    public static ulong Fingerprint(ReadOnlySpan<int> tokens)
    {
        const ulong k = 0x9E3779B97F4A7C15;
        ulong h = (ulong)tokens.Length * k;
        var words = MemoryMarshal.Cast<int, ulong>(tokens);
        foreach (var w in words) h = BitOperations.RotateLeft((h ^ w) * k, 31);
        if ((tokens.Length & 1) == 1) h = BitOperations.RotateLeft((h ^ (uint)tokens[^1]) * k, 31);
        return Xoshiro256.Mix64(h);
    }

    private sealed class Chunk(int[][] rows, int[] targets, ulong[] hashes)
    {
        public int[][] Rows => rows;
        public ulong[] Hashes => hashes;

        public static Chunk Draw(SplitPlan split, long seed, long index)
        {
            var rng = Xoshiro256.ForStream(seed, index);
            var sampler = split.NewSampler();
            var buffer = new int[split.BufferLength];
            var rows = new int[ChunkRows][];
            var targets = new int[ChunkRows];
            var hashes = new ulong[ChunkRows];
            for (int i = 0; i < ChunkRows; i++)
            {
                int length = sampler.Next(ref rng, buffer, out targets[i]);
                rows[i] = buffer.AsSpan(0, length).ToArray();
                hashes[i] = Fingerprint(rows[i]);
            }
            return new Chunk(rows, targets, hashes);
        }

        public TableBatch ToBatch(string split, List<int> keep)
        {
            int[][] tokens;
            int[] target;
            if (keep.Count == rows.Length)
            {
                (tokens, target) = (rows, targets);
            }
            else
            {
                tokens = new int[keep.Count][];
                target = new int[keep.Count];
                for (int i = 0; i < keep.Count; i++) (tokens[i], target[i]) = (rows[keep[i]], targets[keep[i]]);
            }
            var names = new string[keep.Count];
            Array.Fill(names, split);
            return new TableBatch(Schemas.Dataset, new Dictionary<string, Array>
            {
                [Schemas.DatasetColumns.Split] = names,
                [Schemas.DatasetColumns.Tokens] = tokens,
                [Schemas.DatasetColumns.Target] = target,
            });
        }
    }
}

/// <summary>
/// A set of 64-bit fingerprints with open addressing and linear probing: 8 bytes a slot at most half full, about
/// a third of HashSet&lt;ulong&gt;'s footprint, which matters at tens of millions of rows.
/// </summary>
internal sealed class SequenceSet
{
    private ulong[] _slots;
    private int _count;

    public SequenceSet(int expected) =>
        _slots = new ulong[Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(expected, 1, 1 << 28) * 2))];

    // 0 marks an empty slot, so a fingerprint of 0 is stored as 1 (an extra collision chance of 2^-64).
    private static ulong Key(ulong h) => h == 0 ? 1 : h;

    public bool Contains(ulong h)
    {
        h = Key(h);
        int mask = _slots.Length - 1;
        for (int i = (int)(h & (ulong)mask); ; i = (i + 1) & mask)
        {
            if (_slots[i] == h) return true;
            if (_slots[i] == 0) return false;
        }
    }

    public void Add(ulong h)
    {
        if ((_count + 1) * 2 > _slots.Length) Grow();
        if (Insert(_slots, Key(h))) _count++;
    }

    private static bool Insert(ulong[] slots, ulong h)
    {
        int mask = slots.Length - 1;
        for (int i = (int)(h & (ulong)mask); ; i = (i + 1) & mask)
        {
            if (slots[i] == h) return false;
            if (slots[i] == 0)
            {
                slots[i] = h;
                return true;
            }
        }
    }

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        foreach (var h in _slots)
            if (h != 0) Insert(bigger, h);
        _slots = bigger;
    }
}
