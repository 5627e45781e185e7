using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Heads;

/// <summary>One head's logit matrix on one sequence's real positions, with its parts where the PE allows a split.</summary>
public sealed record LogitSample(int Layer, int Head, int Sequence, double[,] Logit, IReadOnlyList<(string Part, double[,] Matrix)> Parts);

/// <summary>
/// Reads the trained model's pre-softmax logits through the <c>blocks.{l}.attn.logits</c> hook and hands each
/// (layer, head, sequence) matrix, restricted to the sequence's non-padding positions, to a sink. Where the PE and
/// architecture allow it, also the parts of paper.md §2: the key side split G_{q,kc} + G_{q,kp} (Reference
/// architecture, additive input PE: keys come from the layer-0 embeddings c + p, linear in each) and the bias B.
/// Queries come from LN1(x), which is not linear in x, so the query side is never split.
/// </summary>
public static class LogitCapture
{
    public const string PartQueryContentKey = "q-kc";
    public const string PartQueryPositionKey = "q-kp";
    public const string PartBias = "bias";

    /// <summary>Whether keys are linear in (token embedding, position vector): Reference architecture, MHA, no rotation.</summary>
    public static bool CanSplitKeys(TransformerConfig c, PositionalEncoding pe) =>
        c.Arch == Architecture.Reference && c.Attention == AttentionKind.Mha && pe.Coupling != Coupling.Multiplicative;

    /// <summary>Whether the bias B is a separate part: MHA (MLA takes multiplicative PEs only) and a bias the PE returns.</summary>
    public static bool HasBias(TransformerConfig c, PositionalEncoding pe, int layer) =>
        c.Attention == AttentionKind.Mha && c.PeActiveIn(layer) && pe.Coupling == Coupling.Additive;

    /// <summary>Runs the first <paramref name="rows"/> rows of <paramref name="split"/> through the model and feeds every matrix to <paramref name="sink"/>.</summary>
    public static void Run(Transformer model, SplitTensors split, IReadOnlyList<int> layers, int rows, int batchSize,
        bool withParts, Action<LogitSample> sink)
    {
        var config = model.Config;
        var pe = model.PositionalEncoding;
        var parameters = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var logits = new Dictionary<int, Tensor>();
        var inputs = new Dictionary<int, Tensor>();
        var removers = new List<Action>();
        foreach (int l in layers)
        {
            removers.Add(model.Blocks[l].Attention.Logits.register_forward_hook((_, _, y) => { logits[l] = y; return y; }).remove);
            removers.Add(model.Blocks[l].ResidPre.register_forward_hook((_, _, y) => { inputs[l] = y; return y; }).remove);
        }
        long limit = Math.Min(rows, split.Count);
        var subset = new SplitTensors(split.Name, split.Tokens.narrow(0, 0, limit), split.Targets.narrow(0, 0, limit), split.Longest);
        long offset = 0;
        try
        {
            ActivationCache.ForEachBatch(model, subset, batchSize, afterBatch: (tokens, _) =>
            {
                var real = RealIndices(tokens, config.PadId);
                foreach (int l in layers)
                {
                    var parts = withParts ? Parts(model, parameters, tokens, inputs[l], l) : [];
                    Emit(l, offset, logits[l], real, parts, sink);
                }
                offset += tokens.shape[0];
            });
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }

    private static List<int[]> RealIndices(Tensor tokens, int padId)
    {
        var keep = tokens.ne(padId).cpu();                                          // (B, T) bool
        long b = keep.shape[0], t = keep.shape[1];
        var flat = keep.data<bool>().ToArray();
        var result = new List<int[]>();
        for (long i = 0; i < b; i++)
            result.Add(Enumerable.Range(0, (int)t).Where(j => flat[i * t + j]).ToArray());
        return result;
    }

    /// <summary>The named parts (B, H, T, T) of one layer's logits (paper.md §2); empty when the PE allows none.</summary>
    private static List<(string, Tensor)> Parts(Transformer model, Dictionary<string, TorchSharp.Modules.Parameter> p,
        Tensor tokens, Tensor x, int layer)
    {
        var c = model.Config;
        var pe = model.PositionalEncoding;
        var parts = new List<(string, Tensor)>();
        long b = tokens.shape[0], t = tokens.shape[1];
        if (CanSplitKeys(c, pe))
        {
            string a = $"blocks.{layer}";
            var content = p["embedding.weight"].index_select(0, tokens.flatten()).view(b, t, c.DModel); // (B, T, D)
            var position = pe.AddToEmbedding(content) - content;                            // (B, T, D): p, 0 for bias PEs
            var h = nn.functional.layer_norm(x, [c.DModel], p[$"{a}.ln1.weight"], p[$"{a}.ln1.bias"]); // (B, T, D)
            var q = Heads(nn.functional.linear(h, p[$"{a}.attn.q_proj.weight"], p[$"{a}.attn.q_proj.bias"]), c); // (B, H, T, dh)
            // The key bias b_K is position-free: it goes with the content part.
            var kc = Heads(nn.functional.linear(content, p[$"{a}.attn.k_proj.weight"], p[$"{a}.attn.k_proj.bias"]), c); // (B, H, T, dh)
            var kp = Heads(nn.functional.linear(position, p[$"{a}.attn.k_proj.weight"]), c); // (B, H, T, dh)
            double scale = Math.Sqrt(c.HeadDim);
            parts.Add((PartQueryContentKey, q.matmul(kc.transpose(-2, -1)).div(scale)));    // (B, H, T, T): G_{q,kc}
            parts.Add((PartQueryPositionKey, q.matmul(kp.transpose(-2, -1)).div(scale)));   // (B, H, T, T): G_{q,kp}
        }
        if (HasBias(c, pe, layer) && pe.LogitBias(layer, t, t, tokens.device) is { } bias)
            parts.Add((PartBias, bias.unsqueeze(0).expand(b, -1, -1, -1)));                  // (B, H, T, T): B
        return parts;
    }

    private static Tensor Heads(Tensor y, TransformerConfig c) =>
        y.view(y.shape[0], y.shape[1], c.Heads, c.HeadDim).transpose(1, 2);                 // (B, H, T, dh)

    private static void Emit(int layer, long offset, Tensor logits, List<int[]> real, List<(string Name, Tensor T)> parts, Action<LogitSample> sink)
    {
        var whole = Dense(logits);
        var denseParts = parts.Select(x => (x.Name, Dense(x.T))).ToList();
        long heads = logits.shape[1];
        for (int i = 0; i < real.Count; i++)
        {
            if (real[i].Length == 0) continue;
            for (int h = 0; h < heads; h++)
                sink(new LogitSample(layer, h, (int)(offset + i), Slice(whole, i, h, real[i]),
                    denseParts.Select(x => (x.Name, Slice(x.Item2, i, h, real[i]))).ToList()));
        }
    }

    private static (double[] Data, long H, long T) Dense(Tensor t) =>
        (t.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray(), t.shape[1], t.shape[2]);

    private static double[,] Slice((double[] Data, long H, long T) m, int row, int head, int[] keep)
    {
        var a = new double[keep.Length, keep.Length];
        long baseIndex = ((long)row * m.H + head) * m.T * m.T;
        for (int i = 0; i < keep.Length; i++)
            for (int j = 0; j < keep.Length; j++)
                a[i, j] = m.Data[baseIndex + keep[i] * m.T + keep[j]];
        return a;
    }
}
