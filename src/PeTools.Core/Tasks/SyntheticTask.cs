using System.Text;
using System.Text.Json;
using PeTools.Core.Errors;

namespace PeTools.Core.Tasks;

/// <summary>
/// Draws one sequence at a time for one split. A sampler may keep scratch state (a shuffled pool of filler ids),
/// so every generated chunk gets a fresh one from <see cref="SplitPlan.NewSampler"/>: the output then depends on
/// the seed and the chunk index only, never on which thread ran the chunk.
/// </summary>
public interface ISequenceSampler
{
    /// <summary>
    /// Writes one sequence to the start of <paramref name="tokens"/> (at least <see cref="SplitPlan.BufferLength"/>
    /// long), returns its length and sets <paramref name="target"/>.
    /// </summary>
    int Next(ref Xoshiro256 rng, Span<int> tokens, out int target);
}

/// <summary>
/// One split to generate: its name (<c>train</c>, <c>test</c>, <c>test-N</c>), row count, the longest sequence it
/// can emit, the scratch length a sampler needs, and the split's resolved parameters (recorded in the metadata).
/// </summary>
public sealed record SplitPlan(
    string Name,
    int Rows,
    int SeqLen,
    int BufferLength,
    IReadOnlyList<KeyValuePair<string, int>> Resolved,
    Func<ISequenceSampler> NewSampler);

/// <summary>
/// A synthetic task with fixed triggers: the base resolves the shared parameters and the split list, and writes
/// the metadata; a subclass draws the triggers and supplies one sampler per split.
/// </summary>
public abstract class SyntheticTask
{
    public const string TrainSplit = "train";
    public const string TestSplit = "test";

    /// <summary>Parquet metadata keys (their values are JSON).</summary>
    public const string TaskKey = "pe_tools.task";
    public const string ParamsKey = "pe_tools.params";
    public const string TriggersKey = "pe_tools.triggers";

    protected SyntheticTask(TaskInfo info, TaskSettings settings)
    {
        Definition = info;
        Settings = settings;
        Seeds = new SeedSequence(settings.Seed);
    }

    public TaskInfo Definition { get; }
    public TaskSettings Settings { get; }
    public SeedSequence Seeds { get; }
    public int SeqLen => Settings[CommonParameters.SeqLen];
    public int Vocab => Settings[CommonParameters.Vocab];

    /// <summary>The trigger ids, in the order the task uses them (for distance: w1 then w2).</summary>
    public abstract IReadOnlyList<int> Triggers { get; }

    /// <summary>train, test, then one test-N per <c>--test-seq-len</c>, in that (generation) order.</summary>
    public abstract IReadOnlyList<SplitPlan> Splits { get; }

    /// <summary>
    /// Whether a sequence repeated inside one split is dropped. Always in clean mode; in faithful mode only if the
    /// reference generator deduplicated. Repeats across splits are always dropped (no train/test leakage).
    /// </summary>
    public virtual bool DedupWithinSplit => true;

    public long TotalRows => Splits.Sum(s => (long)s.Rows);

    /// <summary>The scale factor of a test-N split: N / --seq-len (lengths and ranges grow by it).</summary>
    protected double ScaleFor(int testSeqLen) => testSeqLen / (double)SeqLen;

    /// <summary>Rounds a range bound scaled to a test-N split, half away from zero (so it is the same everywhere).</summary>
    protected static int Scale(int value, double scale) => (int)Math.Round(value * scale, MidpointRounding.AwayFromZero);

    protected static string TestSplitName(int seqLen) => $"{TestSplit}-{seqLen}";

    /// <summary>Draws <paramref name="count"/> distinct ids from 1..vocab-1 (a partial Fisher-Yates shuffle).</summary>
    protected int[] DrawTriggers(int count)
    {
        if (Vocab - 1 < count)
            throw UsageError.Option("--vocab", $"at least {count + 1} (for {count} trigger ids besides padding id 0)", Vocab);
        var rng = Xoshiro256.FromSeed((ulong)Seeds.For("triggers"));
        var pool = Enumerable.Range(1, Vocab - 1).ToArray();
        var picked = new int[count];
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
            picked[i] = pool[i];
        }
        return picked;
    }

    /// <summary>The ids 1..vocab-1 without <paramref name="excluded"/>, ascending.</summary>
    protected int[] IdsExcept(IEnumerable<int> excluded)
    {
        var skip = excluded.ToHashSet();
        return Enumerable.Range(1, Vocab - 1).Where(i => !skip.Contains(i)).ToArray();
    }

    /// <summary>
    /// The footer metadata that makes a dataset self-describing: task key, every resolved parameter (JSON, keys in
    /// a fixed order so the same settings give the same bytes) and the trigger ids.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata() => new Dictionary<string, string>
    {
        [TaskKey] = Definition.Key,
        [ParamsKey] = ParamsJson(),
        [TriggersKey] = "[" + string.Join(",", Triggers) + "]",
    };

    private string ParamsJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("task", Definition.Key);
            json.WriteString("content_position", Definition.Dependence.Describe());
            json.WriteNumber("seed", Settings.Seed);
            json.WriteBoolean("faithful", Settings.Faithful);
            json.WriteBoolean("dedup_within_split", DedupWithinSplit);
            json.WriteNumber("padding_id", CommonParameters.PaddingId);
            foreach (var p in Settings.Parameters) json.WriteNumber(p.Name, Settings[p.Name]);
            json.WriteStartArray("test-seq-len");
            foreach (var n in Settings.TestSeqLens) json.WriteNumberValue(n);
            json.WriteEndArray();
            json.WriteStartArray("splits");
            foreach (var s in Splits)
            {
                json.WriteStartObject();
                json.WriteString("name", s.Name);
                json.WriteNumber("rows", s.Rows);
                json.WriteNumber(CommonParameters.SeqLen, s.SeqLen);
                foreach (var (k, v) in s.Resolved) json.WriteNumber(k, v);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
