using PeTools.Core.Errors;

namespace PeTools.Core.Tasks;

/// <summary>
/// The paper's Task 1 (reference <c>dis_gen/data-gen.py</c>, see shared/paper/reference-code.md §2.2): two trigger
/// ids w1, w2 fixed per dataset; each row is L left fillers, w1, M middle fillers, w2, R right fillers, cut to
/// --seq-len; the target is the distance M+1. Content and position are both needed: which tokens, and where.
/// </summary>
public sealed class DistanceTask : SyntheticTask
{
    public const string Key = "distance";
    public const string MinBetween = "min-between";
    public const string MaxBetween = "max-between";
    public const string MinSide = "min-side";
    public const string MaxSide = "max-side";

    public static readonly TaskInfo Info = new(Key, PositionDependence.Dependent,
        "distance between two fixed trigger tokens (paper Task 1); target = M+1 for M fillers between them",
        [
            // 100,000 reference samples split 70/30 (reference-code.md §2.4).
            .. CommonParameters.With(nTrain: 70_000, nTest: 30_000, seqLen: 120, vocab: 574),
            new(MinBetween, "fewest fillers between w1 and w2 (target = between + 1)", 1, 0),
            new(MaxBetween, "most fillers between w1 and w2", 70, 0),
            new(MinSide, "fewest fillers left of w1 and right of w2", 1, 0),
            new(MaxSide, "most fillers left of w1 and right of w2", 25, 0),
        ],
        "test-N: --max-side and --max-between times N/--seq-len (rounded half away from zero), minima kept, cut at N; " +
        "distances beyond the training range appear",
        "fillers come from all ids 1..vocab-1, triggers included, so ~16% of rows admit a second (w1, w2) parse",
        s => new DistanceTask(s));

    private readonly int[] _triggers;
    private readonly int[] _fillers;

    public DistanceTask(TaskSettings settings) : base(Info, settings)
    {
        int minB = settings[MinBetween], maxB = settings[MaxBetween];
        int minS = settings[MinSide], maxS = settings[MaxSide];
        if (maxB < minB) throw UsageError.Option("--max-between", $"at least --min-between ({minB})", maxB);
        if (maxS < minS) throw UsageError.Option("--max-side", $"at least --min-side ({minS})", maxS);
        int minLen = MinSeqLen(maxS, maxB);
        if (SeqLen < minLen)
            throw UsageError.Option("--seq-len", $"at least {minLen} for distance with --max-side {maxS} --max-between {maxB}", SeqLen);

        _triggers = DrawTriggers(2);
        // Clean mode: fillers are never a trigger (nor padding), so every row has exactly one parse and its
        // target is unambiguous. Faithful mode: the reference drew fillers from its whole vocabulary, triggers
        // included (~16% of rows then admit a second parse, reference-code.md §2.2). Its vocabulary also held the
        // id-0 token, which here would read as padding, so faithful fillers are ids 1..vocab-1, triggers allowed.
        _fillers = settings.Faithful ? IdsExcept([]) : IdsExcept(_triggers);

        var splits = new List<SplitPlan> { Plan(TrainSplit, settings[CommonParameters.NTrain], SeqLen, maxS, maxB) };
        splits.Add(Plan(TestSplit, settings[CommonParameters.NTest], SeqLen, maxS, maxB));
        foreach (var n in settings.TestSeqLens)
        {
            // Length generalisation: a test-N split stretches the side and middle maxima by N / --seq-len (rounded
            // half away from zero; minima stay), then cuts at N as training cuts at --seq-len. Lengths and
            // distances both grow, so targets above the training range appear in it.
            double scale = ScaleFor(n);
            int side = Scale(maxS, scale), between = Scale(maxB, scale);
            if (n < MinSeqLen(side, between))
                throw UsageError.Option("--test-seq-len", $"at least {MinSeqLen(side, between)} (sides {side}, between {between})", n);
            splits.Add(Plan(TestSplitName(n), settings[CommonParameters.NTest], n, side, between));
        }
        Splits = splits;
    }

    public override IReadOnlyList<int> Triggers => _triggers;
    public override IReadOnlyList<SplitPlan> Splits { get; }

    /// <summary>
    /// The reference deduplicated exact repeats (its JSON-level dedup), so faithful mode does too. Its key was text
    /// plus label, ours is the tokens alone: two equal faithful rows with different labels (one ambiguous sequence
    /// drawn twice with different parses) keep only the first, which the reference would have kept both of.
    /// </summary>
    public override bool DedupWithinSplit => true;

    /// <summary>
    /// w1 and w2 must both survive the cut and keep one right filler: L + 1 + M + 1 + 1 at the longest. The
    /// reference's 25 + 70 + 3 = 98 ≤ 120 holds, so only right fillers are ever cut.
    /// </summary>
    public static int MinSeqLen(int maxSide, int maxBetween) => maxSide + maxBetween + 3;

    private SplitPlan Plan(string name, int rows, int seqLen, int maxSide, int maxBetween)
    {
        int minS = Settings[MinSide], minB = Settings[MinBetween];
        int needed = Math.Max(maxSide, maxBetween);
        if (_fillers.Length < needed)
            throw UsageError.Option("--vocab", $"at least {Vocab - _fillers.Length + needed} so {needed} distinct fillers " +
                                                $"can be drawn for split '{name}'", Vocab);
        int w1 = _triggers[0], w2 = _triggers[1];
        var fillers = _fillers;
        return new SplitPlan(name, rows, seqLen, BufferLength: maxSide + maxBetween + 2 + maxSide,
            [new(MinSide, minS), new(MaxSide, maxSide), new(MinBetween, minB), new(MaxBetween, maxBetween)],
            () => new Sampler(w1, w2, fillers, minS, maxSide, minB, maxBetween, seqLen));
    }

    private sealed class Sampler(int w1, int w2, int[] fillers, int minSide, int maxSide, int minBetween,
        int maxBetween, int seqLen) : ISequenceSampler
    {
        // A private copy: the partial Fisher-Yates below permutes it in place.
        private readonly int[] _pool = (int[])fillers.Clone();

        public int Next(ref Xoshiro256 rng, Span<int> tokens, out int target)
        {
            // Same draw order as the reference: M, then L, then R (data-gen.py L59-90).
            int m = rng.NextInclusive(minBetween, maxBetween);
            int l = rng.NextInclusive(minSide, maxSide);
            int r = rng.NextInclusive(minSide, maxSide);
            int at = Draw(ref rng, tokens, 0, l);
            tokens[at++] = w1;
            at = Draw(ref rng, tokens, at, m);
            tokens[at++] = w2;
            // Right fillers past --seq-len would be cut anyway; not drawing them changes no row's distribution.
            at = Draw(ref rng, tokens, at, Math.Min(r, seqLen - at));
            target = m + 1;
            return at;
        }

        /// <summary>
        /// <paramref name="count"/> fillers without replacement (Python's random.sample) by a partial Fisher-Yates
        /// shuffle of the pool: O(count) at any pool size. The pool stays a permutation, and a partial shuffle of
        /// any permutation yields a uniform ordered sample, so it is never reset.
        /// </summary>
        private int Draw(ref Xoshiro256 rng, Span<int> tokens, int at, int count)
        {
            var pool = _pool;
            for (int i = 0; i < count; i++)
            {
                int j = i + rng.NextInt(pool.Length - i);
                (pool[i], pool[j]) = (pool[j], pool[i]);
                tokens[at + i] = pool[i];
            }
            return at + count;
        }
    }
}
