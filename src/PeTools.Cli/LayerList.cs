using PeTools.Core.Errors;

namespace PeTools.Cli;

/// <summary>The one parser of layer lists on the command line (pe-train --pe-layers, pe-heads --layers).</summary>
public static class LayerList
{
    /// <summary>"0-2" or "1,3" → sorted 0-based layer indices, each below <paramref name="layerCount"/>; null = all.</summary>
    public static IReadOnlyList<int> Parse(string? text, int layerCount, string option)
    {
        if (text is null) return Enumerable.Range(0, layerCount).ToList();
        var layers = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, out _)))
                throw UsageError.Option(option, "layer indices like 0-2 or 1,3", text);
            int a = int.Parse(ends[0]), z = int.Parse(ends[^1]);
            for (int l = Math.Min(a, z); l <= Math.Max(a, z); l++)
                layers.Add(l >= 0 && l < layerCount
                    ? l
                    : throw UsageError.Option(option, $"layer indices in 0..{layerCount - 1} (the model has {layerCount})", text));
        }
        if (layers.Count == 0) throw UsageError.Option(option, "at least one layer index", text);
        return layers.ToList();
    }
}
