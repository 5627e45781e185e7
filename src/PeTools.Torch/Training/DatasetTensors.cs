using PeTools.Core.Errors;
using PeTools.Core.Tables;
using static TorchSharp.torch;
using Col = PeTools.Core.Tables.Schemas.DatasetColumns;

namespace PeTools.Torch.Training;

/// <summary>
/// One split of a dataset as padded tensors on the device: tokens (N, T) int64 right-padded with the pad id, targets
/// (N); and on the host each row's unpadded length (for length-bucketed batches), T for every row when not given.
/// </summary>
public sealed class SplitTensors(string name, Tensor tokens, Tensor targets, int longest, int[]? lengths = null) : IDisposable
{
    public string Name { get; } = name;
    public Tensor Tokens { get; } = tokens;
    public Tensor Targets { get; } = targets;
    public long Count => Targets.shape[0];
    public long Length => Tokens.shape[1];
    /// <summary>The longest unpadded sequence of the split.</summary>
    public int Longest { get; } = longest;

    /// <summary>Each row's length without padding (at most <see cref="Length"/>).</summary>
    public IReadOnlyList<int> Lengths { get; } = lengths ?? Enumerable.Repeat((int)tokens.shape[1], (int)targets.shape[0]).ToArray();

    public void Dispose()
    {
        Tokens.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Reads a pe-gen-task dataset table and turns each split into tensors on the target device, validating every row:
/// token ids in 1..vocab−1 (0 is padding), targets in 0..classes−1, a non-empty "train" split.
/// </summary>
public static class DatasetTensors
{
    public const string TrainSplit = "train";

    /// <param name="padTo">given a split's longest sequence, the padded length to use</param>
    public static Dictionary<string, SplitTensors> Load(string path, int vocab, int classes, int padId,
        Func<int, int> padTo, Device device, TableFormat? format = null, Stream? stdin = null)
    {
        var rows = new Dictionary<string, (List<int[]> Tokens, List<int> Targets)>(StringComparer.Ordinal);
        using (var reader = TableReader.Open(path, Schemas.Dataset, format, stdin))
        {
            long rowBase = 0;
            foreach (var batch in reader.ReadBatches())
            {
                var split = batch.String(Col.Split);
                var tokens = batch.Int32List(Col.Tokens);
                var target = batch.Int32(Col.Target);
                for (int r = 0; r < batch.RowCount; r++)
                {
                    long row = rowBase + r + 1;
                    var seq = tokens[r];
                    if (seq.Length == 0)
                        throw InputError.AtRow(reader.DisplayName, row, Col.Tokens, "a non-empty token list", "an empty list");
                    foreach (var id in seq)
                        if (id <= 0 || id >= vocab || id == padId)
                            throw InputError.AtRow(reader.DisplayName, row, Col.Tokens,
                                $"token ids in 1..{vocab - 1} (0 is padding; see --vocab)", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (target[r] < 0 || target[r] >= classes)
                        throw InputError.AtRow(reader.DisplayName, row, Col.Target,
                            $"a class in 0..{classes - 1} (see --classes)", target[r].ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (!rows.TryGetValue(split[r], out var lists)) rows[split[r]] = lists = ([], []);
                    lists.Tokens.Add(seq);
                    lists.Targets.Add(target[r]);
                }
                rowBase += batch.RowCount;
            }
        }
        if (!rows.TryGetValue(TrainSplit, out var train) || train.Targets.Count == 0)
            throw new InputError(path, $"column '{Col.Split}'", "rows in a 'train' split",
                rows.Count == 0 ? "no rows" : "splits " + string.Join(",", rows.Keys.Order(StringComparer.Ordinal)));

        var result = new Dictionary<string, SplitTensors>(StringComparer.Ordinal);
        foreach (var (name, (seqs, targets)) in rows.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            int longest = seqs.Max(s => s.Length);
            int t = padTo(longest);
            var flat = new long[seqs.Count * (long)t];
            if (padId != 0) Array.Fill(flat, padId);
            for (int i = 0; i < seqs.Count; i++)
            {
                var s = seqs[i];
                int n = Math.Min(s.Length, t);
                for (int j = 0; j < n; j++) flat[(long)i * t + j] = s[j];
            }
            var tok = tensor(flat, [seqs.Count, t], dtype: ScalarType.Int64).to(device);
            var tgt = tensor(targets.Select(x => (long)x).ToArray(), dtype: ScalarType.Int64).to(device);
            result[name] = new SplitTensors(name, tok.DetachFromDisposeScope(), tgt.DetachFromDisposeScope(), longest,
                seqs.Select(s => Math.Min(s.Length, t)).ToArray());
        }
        return result;
    }
}
