using PeTools.Core.Errors;

namespace PeTools.Core.Tasks;

/// <summary>
/// The paper's Task 2 (reference <c>count_gen/data-gen.py</c>, reference-code.md §2.3): a fixed set of trigger
/// ids; each row holds k triggers (drawn with replacement from the set) and --seq-len minus k fillers (with
/// replacement, never a trigger), shuffled; the target is k. Position is a nuisance: only content counts.
/// </summary>
public sealed class CountTask : SyntheticTask
{
    public const string Key = "count";
    public const string NTriggers = "n-triggers";
    public const string MinCount = "min-count";
    public const string MaxCount = "max-count";

    public static readonly TaskInfo Info = new(Key, PositionDependence.Independent,
        "number of trigger-set tokens in the sequence (paper Task 2); target = k",
        [
            // 50,000 reference samples split 70/30 (reference-code.md §2.4). The paper's text says 20 triggers
            // and 1,000 tokens; the released code uses 30 and 574, which is what defaults follow.
            .. CommonParameters.With(nTrain: 35_000, nTest: 15_000, seqLen: 120, vocab: 574),
            new(NTriggers, "size of the trigger set", 30, 1),
            new(MinCount, "fewest triggers in a row", 0, 0),
            new(MaxCount, "most triggers in a row (capped at --seq-len, as the reference's min(100, 120))", 100, 0),
        ],
        "test-N: rows of exactly N tokens, --max-count times N/--seq-len (rounded half away from zero, at most N), " +
        "--min-count kept; trigger density keeps its training range",
        "repeated rows within a split are kept (the reference did not deduplicate); sampling is unchanged",
        s => new CountTask(s));

    private readonly int[] _triggers;
    private readonly int[] _fillers;

    public CountTask(TaskSettings settings) : base(Info, settings)
    {
        int minK = settings[MinCount];
        int maxK = Math.Min(settings[MaxCount], SeqLen);
        if (maxK < minK)
            throw UsageError.Option("--min-count", $"at most min(--max-count, --seq-len) = {maxK}", minK);
        int nTriggers = settings[NTriggers];
        if (Vocab - 1 < nTriggers + 1)
            throw UsageError.Option("--vocab", $"at least {nTriggers + 2} (padding, {nTriggers} triggers, one filler)", Vocab);

        _triggers = DrawTriggers(nTriggers);
        _fillers = IdsExcept(_triggers); // the reference excludes triggers from fillers too: Task 2 is clean as released

        var splits = new List<SplitPlan>
        {
            Plan(TrainSplit, settings[CommonParameters.NTrain], SeqLen, minK, maxK),
            Plan(TestSplit, settings[CommonParameters.NTest], SeqLen, minK, maxK),
        };
        foreach (var n in settings.TestSeqLens)
        {
            // Length generalisation: a test-N row has exactly N tokens and the count range's maximum grows by
            // N / --seq-len (rounded half away from zero, capped at N), so trigger density keeps its training range.
            int max = Math.Min(n, Scale(maxK, ScaleFor(n)));
            splits.Add(Plan(TestSplitName(n), settings[CommonParameters.NTest], n, minK, max));
        }
        Splits = splits;
    }

    public override IReadOnlyList<int> Triggers => _triggers;
    public override IReadOnlyList<SplitPlan> Splits { get; }

    /// <summary>The reference did not deduplicate Task 2; faithful mode keeps that (repeats are astronomically rare).</summary>
    public override bool DedupWithinSplit => !Settings.Faithful;

    private SplitPlan Plan(string name, int rows, int seqLen, int minK, int maxK)
    {
        var triggers = _triggers;
        var fillers = _fillers;
        return new SplitPlan(name, rows, seqLen, BufferLength: seqLen,
            [new(MinCount, minK), new(MaxCount, maxK)],
            () => new Sampler(triggers, fillers, minK, maxK, seqLen));
    }

    private sealed class Sampler(int[] triggers, int[] fillers, int minK, int maxK, int seqLen) : ISequenceSampler
    {
        public int Next(ref Xoshiro256 rng, Span<int> tokens, out int target)
        {
            int k = rng.NextInclusive(minK, maxK);
            for (int i = 0; i < k; i++) tokens[i] = triggers[rng.NextInt(triggers.Length)];
            for (int i = k; i < seqLen; i++) tokens[i] = fillers[rng.NextInt(fillers.Length)];
            // Fisher-Yates over the whole row (the reference's random.shuffle).
            for (int i = seqLen - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
            }
            target = k;
            return seqLen;
        }
    }
}
