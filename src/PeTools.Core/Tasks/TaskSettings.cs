using System.Globalization;
using PeTools.Core.Errors;

namespace PeTools.Core.Tasks;

/// <summary>Whether a task needs content and position together (the paper's Task 1) or content alone (Task 2).</summary>
public enum PositionDependence
{
    Dependent,
    Independent,
}

public static class PositionDependences
{
    public static string Describe(this PositionDependence d) => d switch
    {
        PositionDependence.Dependent => "dependent",
        PositionDependence.Independent => "independent",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };
}

/// <summary>
/// One integer knob of a task. The CLI turns it into <c>--{Name}</c> with this default, so the registry, the
/// help text and the recorded metadata all spell it the same way.
/// </summary>
public sealed record TaskParameter(string Name, string Description, int Default, int Min)
{
    public string OptionName => "--" + Name;
}

/// <summary>The parameter names shared by every task (each task picks its own defaults).</summary>
public static class CommonParameters
{
    public const string NTrain = "n-train";
    public const string NTest = "n-test";
    public const string SeqLen = "seq-len";
    public const string Vocab = "vocab";

    /// <summary>Token id 0 is padding for every model in this repository, so no task ever emits it.</summary>
    public const int PaddingId = 0;

    public static IReadOnlyList<TaskParameter> With(int nTrain, int nTest, int seqLen, int vocab) =>
    [
        new(NTrain, "rows in the train split", nTrain, 1),
        new(NTest, "rows in the test split (and in each test-N split)", nTest, 1),
        new(SeqLen, "maximum sequence length of train and test", seqLen, 1),
        new(Vocab, "vocabulary size including the padding id 0", vocab, 2),
    ];
}

/// <summary>
/// The resolved settings of one generation run: every task parameter (defaults filled in), the seed, the
/// reference-faithful switch, and the extra held-out test lengths. Construction checks each value against its
/// parameter's minimum, so a task only has to check how parameters relate to each other.
/// </summary>
public sealed class TaskSettings
{
    private readonly Dictionary<string, int> _values;

    public TaskSettings(IReadOnlyList<TaskParameter> parameters, IReadOnlyDictionary<string, int>? values = null,
        long seed = 0, bool faithful = false, IReadOnlyList<int>? testSeqLens = null)
    {
        Parameters = parameters;
        _values = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, _) in values ?? new Dictionary<string, int>())
            if (parameters.All(p => p.Name != name))
                throw new UsageError($"unknown task parameter '--{name}'");
        foreach (var p in parameters)
        {
            int v = values is not null && values.TryGetValue(p.Name, out var given) ? given : p.Default;
            if (v < p.Min) throw UsageError.Option(p.OptionName, $"an integer >= {p.Min}", v);
            _values[p.Name] = v;
        }
        Seed = seed;
        Faithful = faithful;
        TestSeqLens = testSeqLens ?? [];
        if (TestSeqLens.Distinct().Count() != TestSeqLens.Count)
            throw UsageError.Option("--test-seq-len", "distinct lengths", string.Join(",", TestSeqLens));
        foreach (var n in TestSeqLens)
            if (n <= this[CommonParameters.SeqLen])
                throw UsageError.Option("--test-seq-len", $"lengths above --seq-len ({this[CommonParameters.SeqLen]})", n);
    }

    public IReadOnlyList<TaskParameter> Parameters { get; }
    public long Seed { get; }
    public bool Faithful { get; }
    public IReadOnlyList<int> TestSeqLens { get; }

    public int this[string name] =>
        _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"no task parameter '{name}'", nameof(name));

    public IReadOnlyDictionary<string, int> Values => _values;

    /// <summary>Parses "200,400" or repeated values into lengths; any non-integer is a usage error.</summary>
    public static IReadOnlyList<int> ParseLengths(IEnumerable<string> texts)
    {
        var result = new List<int>();
        foreach (var part in texts.SelectMany(t => t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                throw UsageError.Option("--test-seq-len", "positive integers (repeat it or use a comma list)", part);
            result.Add(n);
        }
        return result;
    }
}
