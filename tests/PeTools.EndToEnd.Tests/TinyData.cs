using System.Text;

namespace PeTools.EndToEnd.Tests;

/// <summary>Small seeded datasets in the dataset schema, written directly, so pe-train tests don't depend on pe-gen-task.</summary>
public static class TinyData
{
    /// <summary>A distance-like task: two triggers (ids 1, 2) with 1..maxGap fillers between; target = gap + 1.</summary>
    public static string DistanceCsv(int train, int test, int maxGap = 12, int seed = 1)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("split,tokens,target\n");
        foreach (var (split, n) in new[] { ("train", train), ("test", test) })
            for (int i = 0; i < n; i++)
            {
                int gap = rng.Next(1, maxGap + 1), left = rng.Next(1, 4), right = rng.Next(1, 4);
                var seq = Fill(rng, left).Append(1).Concat(Fill(rng, gap)).Append(2).Concat(Fill(rng, right));
                sb.Append(split).Append(',').Append(string.Join(' ', seq)).Append(',').Append(gap + 1).Append('\n');
            }
        return sb.ToString();
    }

    /// <summary><see cref="SmallModel"/> with the options named in <paramref name="extra"/> replaced by extra's values.</summary>
    public static string SmallModelWith(string extra)
    {
        var given = extra.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t.StartsWith("--")).ToHashSet();
        var parts = SmallModel.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        for (int i = 0; i < parts.Count; i++)
            if (given.Contains(parts[i]))
            {
                parts.RemoveRange(i, i + 1 < parts.Count && !parts[i + 1].StartsWith("-") ? 2 : 1);
                i--;
            }
        return string.Join(' ', parts) + " " + extra;
    }

    private static IEnumerable<int> Fill(Random rng, int n) => Enumerable.Range(0, n).Select(_ => rng.Next(3, 40)).ToList();

    /// <summary>pe-train options for a model small enough to train in about a second on CPU.</summary>
    public const string SmallModel = "--vocab 40 --classes 16 --d-model 32 --d-ff 64 --heads 4 --layers 2 --max-len 24 " +
                                     "--batch-size 32 --lr 1e-3 --threads 1 -q";
}
