using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Core.Tables;
using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>
/// The rows an analysis evaluates, as one <see cref="SplitTensors"/>: one split of the dataset, or every row
/// (<see cref="All"/>), which is the reference's protocol (transvis.py evaluates train and test together).
/// </summary>
public static class AnalysisData
{
    /// <summary>The --split value that means every row of the dataset.</summary>
    public const string All = "all";

    /// <summary>
    /// Loads <paramref name="split"/> of <paramref name="path"/>, padded as pe-train pads for this model: the Reference
    /// architecture sees max(max_len, longest) positions (it attends to padding, so the padded length is part of the
    /// model's input), the Standard one the longest sequence (padding is masked). Token ids and targets are checked
    /// against the model's vocabulary and classes.
    /// </summary>
    public static SplitTensors Load(string path, TransformerConfig model, string split, Device device, IRunLog log,
        TableFormat? format = null, Stream? stdin = null)
    {
        var splits = DatasetTensors.Load(path, model.Vocab, model.Classes, model.PadId,
            longest => model.Arch == Architecture.Reference ? Math.Max(model.MaxLen, longest) : longest,
            device, format, stdin);
        if (split != All)
        {
            if (!splits.TryGetValue(split, out var one))
                throw new UsageError($"option --split: expected {All} or one of {string.Join(", ", splits.Keys)}, found '{split}'");
            foreach (var (name, s) in splits)
                if (name != split) s.Dispose();
            return one;
        }
        if (splits.Count == 1) return splits.Values.Single();

        // Splits were padded separately; pad them to one length before stacking them. Harmless for the Standard
        // architecture (padding is masked and pooled out); the Reference one sees the extra padding, so say so.
        long length = splits.Values.Max(s => s.Length);
        if (model.Arch == Architecture.Reference && splits.Values.Any(s => s.Length != length))
            log.Warn($"splits have different padded lengths; every row is padded to {length} positions (the Reference " +
                     "architecture attends to padding, so rows of shorter splits see more of it than in training)");
        using var scope = NewDisposeScope();
        var tokens = cat(splits.Values.Select(s => nn.functional.pad(s.Tokens, [0, length - s.Length], value: model.PadId)).ToArray(), 0);
        var targets = cat(splits.Values.Select(s => s.Targets).ToArray(), 0);
        int longest = splits.Values.Max(s => s.Longest);
        foreach (var s in splits.Values) s.Dispose();
        return new SplitTensors(All, tokens.DetachFromDisposeScope(), targets.DetachFromDisposeScope(), longest);
    }

    /// <summary>Real (non-padding) positions of each row, (N, T) bool.</summary>
    public static Tensor RealPositions(Tensor tokens, int padId) => tokens.ne(padId);
}
