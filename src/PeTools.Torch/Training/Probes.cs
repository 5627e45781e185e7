using PeTools.Core.Tables;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using P = PeTools.Core.Tables.Schemas.ProbeColumns;

namespace PeTools.Torch.Training;

/// <summary>One row of the probes table (schema <see cref="Schemas.Probes"/>).</summary>
public sealed record ProbeRow(long Step, int Layer, int Head, string Quantity, double Value)
{
    public static TableBatch ToBatch(IReadOnlyList<ProbeRow> rows) => new(Schemas.Probes, new Dictionary<string, Array>
    {
        [P.Step] = rows.Select(r => r.Step).ToArray(),
        [P.Layer] = rows.Select(r => r.Layer).ToArray(),
        [P.Head] = rows.Select(r => r.Head).ToArray(),
        [P.Quantity] = rows.Select(r => r.Quantity).ToArray(),
        [P.Value] = rows.Select(r => r.Value).ToArray(),
    });

    public static IEnumerable<ProbeRow> FromBatch(TableBatch b)
    {
        var (step, layer, head) = (b.Int64(P.Step), b.Int32(P.Layer), b.Int32(P.Head));
        var (quantity, value) = (b.String(P.Quantity), b.Float64(P.Value));
        for (int i = 0; i < b.RowCount; i++) yield return new ProbeRow(step[i], layer[i], head[i], quantity[i], value[i]);
    }

    /// <summary>Writes the whole table atomically (temp file + rename), as the metrics table.</summary>
    public static void Write(string path, IReadOnlyList<ProbeRow> rows, IReadOnlyDictionary<string, string>? metadata = null)
    {
        TableWriter.WriteTable(path, ToBatch(rows), metadata: metadata);
    }
}

/// <summary>The gradients one probe measures: per-head W_Q / W_K gradient norms (L, H) and the per-sample gradients
/// of the probe bias (L, B, H, 2T−1), offset δ = i − j at index δ + T − 1, each scaled by 1/N (N = counted targets).</summary>
public sealed record ProbeGradients(Tensor WqNorm, Tensor WkNorm, Tensor BiasPerSample) : IDisposable
{
    public void Dispose()
    {
        WqNorm.Dispose();
        WkNorm.Dispose();
        BiasPerSample.Dispose();
    }
}

/// <summary>
/// Gradient probes on a fixed batch (paper.md §4.2: Prop. 6.1 RoPE "seed", Prop. 6.2 ALiBi cancellation). For every
/// layer l and head h: ‖∂L/∂W_Q‖ and ‖∂L/∂W_K‖ over the head's rows of <see cref="Attention.QueryProjection"/> /
/// <see cref="Attention.KeyProjection"/> (MLA: the up-projections W_UQ / W_UK; the shared rotary branch belongs to no
/// head), and the gradient of a zero, untrained relative bias b_h(δ), δ = i − j, added to the head's pre-softmax
/// logits by a forward hook on <c>blocks.{l}.attn.logits</c>: the same positional probe for every PE.
/// <para>Per-sample gradients come from one backward pass, not a loop: each sample b gets its own zero bias table,
/// so ∂L/∂table_b is sample b's gradient g_b (its own loss's, times the common 1/N), and Σ_b g_b is the gradient of a
/// shared bias. Exact, because samples do not interact in the forward pass; a test checks it against a per-sample loop.
/// Coherence ‖Σ_b g_b‖ / Σ_b ‖g_b‖ (= ‖mean g_b‖ / mean ‖g_b‖) is 1 when the samples agree, ≈ 0 when they cancel.</para>
/// <para>Probes never change training: they run in eval mode (no dropout, so no RNG draw; a test checks that the
/// generator state is untouched), take gradients with <c>autograd.grad</c> (no parameter's <c>.grad</c> is written:
/// the kernels' in-place gradients, <see cref="Kernels.KernelUse.AccumulateParameterGradients"/>, are off meanwhile)
/// and never see the optimizer. The mode is restored afterwards. The logits hook sends attention down its composite
/// path (the same maths as the fused kernel, not bit-identical to it), which is what is differentiated here.</para>
/// </summary>
public sealed class Probes : IDisposable
{
    /// <summary>Rows per forward pass: bounds memory; gradients are summed over chunks (the loss is a sum / N).</summary>
    public const int ChunkRows = 64;

    private readonly Transformer model;
    private readonly Tensor tokens;  // (B, T) the first rows of the training split, fixed for the run
    private readonly Tensor targets; // (B)
    private readonly long ignoreIndex;

    public Probes(Transformer model, SplitTensors train, long rows, int? ignoreClass)
    {
        this.model = model;
        long n = Math.Min(rows, train.Count);
        tokens = train.Tokens.narrow(0, 0, n).clone().DetachFromDisposeScope();
        targets = train.Targets.narrow(0, 0, n).clone().DetachFromDisposeScope();
        ignoreIndex = ignoreClass ?? -100;
    }

    public long Rows => tokens.shape[0];

    /// <summary>All four quantities for every (layer, head), in eval mode; the model's mode is restored.</summary>
    public List<ProbeRow> Measure(long step)
    {
        using var scope = NewDisposeScope();
        using var g = Gradients();
        var biasTotal = g.BiasPerSample.sum(1);                                       // (L, H, 2T−1)
        var biasNorm = biasTotal.norm(-1).to(ScalarType.Float64).cpu();               // (L, H)
        var sampleNorms = g.BiasPerSample.norm(-1).sum(1).to(ScalarType.Float64).cpu(); // (L, H)
        var (wq, wk) = (g.WqNorm.to(ScalarType.Float64).cpu(), g.WkNorm.to(ScalarType.Float64).cpu());
        var rows = new List<ProbeRow>();
        for (int l = 0; l < wq.shape[0]; l++)
            for (int h = 0; h < wq.shape[1]; h++)
            {
                double total = biasNorm[l, h].item<double>(), perSample = sampleNorms[l, h].item<double>();
                rows.Add(new ProbeRow(step, l, h, P.GradWq, wq[l, h].item<double>()));
                rows.Add(new ProbeRow(step, l, h, P.GradWk, wk[l, h].item<double>()));
                rows.Add(new ProbeRow(step, l, h, P.BiasGrad, total));
                rows.Add(new ProbeRow(step, l, h, P.BiasCoherence, perSample > 0 ? total / perSample : double.NaN));
            }
        return rows;
    }

    /// <summary>The probe gradients on the fixed batch (eval mode, restored after). Tensors outlive the caller's scope.</summary>
    public ProbeGradients Gradients()
    {
        bool wasTraining = model.training, inPlace = model.Kernels.AccumulateParameterGradients;
        model.eval();
        // autograd.grad takes each weight's gradient from the edge into it: a kernel that added it into .grad instead
        // (fp32 training steps this very model with the switch on) would hand the probe nothing and write the .grad.
        model.Kernels.AccumulateParameterGradients = false;
        try
        {
            using var scope = NewDisposeScope();
            var attn = model.Blocks.Select(b => b.Attention).ToArray();
            var weights = attn.Select(a => (Tensor)a.QueryProjection.weight!)
                .Concat(attn.Select(a => (Tensor)a.KeyProjection.weight!)).ToArray();                 // L × W_Q, then L × W_K
            var sums = weights.Select(w => zeros_like(w)).ToArray();
            var perSample = new List<Tensor>();                                        // chunks of (L, n, H, 2T−1)
            double counted = Math.Max(1, targets.ne(ignoreIndex).sum().item<long>());
            for (long start = 0; start < Rows; start += ChunkRows)
            {
                using var chunkScope = NewDisposeScope();
                long n = Math.Min(ChunkRows, Rows - start);
                var tables = attn.Select(_ => BiasTable(n)).ToArray();                // L × (n, H, 2T−1)
                var loss = LossWith(tokens.narrow(0, start, n), targets.narrow(0, start, n), tables, counted);
                var grads = autograd.grad([loss], [.. weights, .. tables], allow_unused: true);
                // An unused input's gradient comes back from TorchSharp as a tensor with no handle, not as null.
                static bool Defined(Tensor? g) => g is { IsInvalid: false };
                for (int i = 0; i < weights.Length; i++)
                    if (Defined(grads[i])) sums[i].add_(grads[i]);
                var chunk = stack(tables.Select((t, l) => Defined(grads[weights.Length + l]) ? grads[weights.Length + l] : zeros_like(t)).ToArray()); // (L, n, H, 2T−1)
                perSample.Add(chunk.detach().MoveToOuterDisposeScope());
            }
            int layers = attn.Length, heads = model.Config.Heads;
            Tensor HeadNorms(IEnumerable<Tensor> gs) =>                                // (L, H): rows [h·dh, (h+1)·dh) per head
                stack(gs.Select(s => s.view(heads, -1).norm(-1)).ToArray());
            return new ProbeGradients(HeadNorms(sums.Take(layers)).MoveToOuterDisposeScope(),
                HeadNorms(sums.Skip(layers)).MoveToOuterDisposeScope(),
                cat(perSample.ToArray(), 1).MoveToOuterDisposeScope());
        }
        finally
        {
            model.train(wasTraining);
            model.Kernels.AccumulateParameterGradients = inPlace;
        }
    }

    /// <summary>
    /// The probe loss (mean cross-entropy over counted targets, as training) with bias tables (L, H, 2T−1) shared by all
    /// samples added to each layer's logits; null = the model as it is. In the model's current mode. For checks.
    /// </summary>
    public double Loss(Tensor? tables)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double counted = Math.Max(1, targets.ne(ignoreIndex).sum().item<long>());
        var perLayer = tables is null ? null : Enumerable.Range(0, (int)tables.shape[0]).Select(l => tables[l].unsqueeze(0)).ToArray();
        return LossWith(tokens, targets, perLayer, counted).item<double>();
    }

    /// <summary>table (..., 2T−1) indexed by δ + T − 1 → (..., T, T) with entry [i, j] = table[i − j + T − 1].</summary>
    public static Tensor OffsetBias(Tensor table, long t)
    {
        using var scope = NewDisposeScope();
        var i = arange(t, dtype: ScalarType.Int64, device: table.device);
        var index = (i.unsqueeze(1) - i.unsqueeze(0) + (t - 1)).flatten();           // (T·T)
        var lead = table.shape[..^1];
        return table.index_select(-1, index).view([.. lead, t, t]).MoveToOuterDisposeScope(); // (..., T, T)
    }

    private Tensor BiasTable(long n)
    {
        var dtype = model.parameters().First().dtype;
        return zeros([n, model.Config.Heads, 2 * tokens.shape[1] - 1], dtype: dtype, device: tokens.device).requires_grad_();
    }

    /// <summary>Σ cross-entropy / counted with tables[l] (n|1, H, 2T−1) added to layer l's logits by hooks removed after.</summary>
    private Tensor LossWith(Tensor x, Tensor y, Tensor[]? tables, double counted)
    {
        var removers = tables is null ? [] : model.Blocks.Select((b, l) => b.Attention.Logits.register_forward_hook((_, _, logits) =>
            logits + OffsetBias(tables[l], logits.shape[^1]).to(logits.dtype))).ToList(); // (B, H, T, T)
        try
        {
            var logits = model.call(x);                                                // (B, Classes)
            if (logits.dtype != ScalarType.Float64) logits = logits.to(ScalarType.Float32);
            return F.cross_entropy(logits, y, ignore_index: ignoreIndex, reduction: nn.Reduction.Sum) / counted;
        }
        finally
        {
            foreach (var r in removers) r.remove();
        }
    }

    public void Dispose()
    {
        tokens.Dispose();
        targets.Dispose();
    }
}
