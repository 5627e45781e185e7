using PeTools.Torch.Native;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// The gradient half of a training step (bf16 weight copy, forward, loss, backward, gradient copy, clipping: everything
/// up to the optimizer) as CUDA graphs, one per batch shape (<see cref="FastPaths.CudaGraph"/>). The eager step spends
/// more host time issuing its ~1,000 kernels through TorchSharp and libtorch's dispatcher than the GPU spends running
/// them at the paper's config; a replay issues them all in one call. The optimizer stays eager (a handful of kernels
/// whose learning rate changes every step; a graph would freeze it).
/// <para>Per shape: the first batch runs eagerly on a side stream (libtorch's recipe: lazy state such as cuBLAS
/// workspaces and this model's first gradients are set up outside the capture, so a capture finds every .grad a view
/// of the flat buffer and records <see cref="FastPaths.ParameterGradientsInPlace"/>' adds into it), the second is
/// captured from static copies of its inputs and replayed, later ones are copied into those inputs and replayed. Every graph shares the
/// first graph's memory pool: they run one at a time on one stream and each one's logits are copied out before the
/// next replays, so one step's worth of activation memory serves every shape. Past <see cref="MaxGraphs"/> shapes, or
/// once a capture has failed (then <see cref="Note"/> says why), steps run eagerly.</para>
/// <para>Identical arithmetic to the eager step, kernel for kernel, so the eager step is the oracle (<c>pe-train
/// check</c>: graph-step); dropout draws from libtorch's generator, whose philox offset a replay advances as the eager
/// kernels would.</para>
/// </summary>
internal sealed class GraphedGradients : IDisposable
{
    /// <summary>Most distinct batch shapes captured (length-bucketed batches of the standard architecture have at most
    /// one per sequence length; the reference architecture has one, plus a short last batch).</summary>
    public const int MaxGraphs = 160;

    private readonly Func<Tensor, Tensor, Tensor> _gradients;
    private readonly Dictionary<string, Captured> _graphs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warmed = new(StringComparer.Ordinal);
    private CudaGraph? _poolOwner;

    /// <param name="gradients">(x, y) → the step's fp32 logits, detached, with the gradients left where the optimizer
    /// reads them; called eagerly and under capture alike.</param>
    public GraphedGradients(Func<Tensor, Tensor, Tensor> gradients) => _gradients = gradients;

    /// <summary>Why steps now run eagerly (a failed capture), or null.</summary>
    public string? Note { get; private set; }

    public int GraphCount => _graphs.Count;
    public long Replays { get; private set; }

    /// <summary>The gradients of one step on (x, y); the returned logits are the caller's (a copy).</summary>
    public Tensor Run(Tensor x, Tensor y)
    {
        if (Note is not null) return _gradients(x, y);
        var key = string.Join(",", x.shape) + "|" + string.Join(",", y.shape) + "|" + x.dtype + y.dtype;
        if (_graphs.TryGetValue(key, out var graph)) return Replay(graph, x, y);
        if (_warmed.Add(key)) return WarmUp(x, y);
        if (_graphs.Count >= MaxGraphs) return _gradients(x, y);
        if (Capture(x, y) is not { } captured) return _gradients(x, y);
        _graphs[key] = captured;
        return Replay(captured, x, y);
    }

    private Tensor Replay(Captured graph, Tensor x, Tensor y)
    {
        graph.X.copy_(x);
        graph.Y.copy_(y);
        graph.Graph.Replay();
        Replays++;
        return graph.Logits.clone();
    }

    private Tensor WarmUp(Tensor x, Tensor y)
    {
        var device = x.device;
        cuda.synchronize(device); // the side stream sees everything issued before; the caller sees everything after
        Tensor logits;
        using (CudaStreams.UseSideStream()) logits = _gradients(x, y);
        cuda.synchronize(device);
        return logits;
    }

    private Captured? Capture(Tensor x, Tensor y)
    {
        var device = x.device;
        var staticX = x.clone().DetachFromDisposeScope();
        var staticY = y.clone().DetachFromDisposeScope();
        cuda.synchronize(device);
        var graph = CudaGraph.Create();
        try
        {
            Tensor logits;
            using (CudaStreams.UseSideStream())
                logits = graph.Capture(() =>
                {
                    using var scope = NewDisposeScope();
                    return _gradients(staticX, staticY).DetachFromDisposeScope();
                }, _poolOwner);
            _poolOwner ??= graph;
            return new Captured(graph, staticX, staticY, logits);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Note = $"CUDA graph capture failed, steps run eagerly: {e.Message.Split('\n')[0]}";
            staticX.Dispose();
            staticY.Dispose();
            graph.Dispose();
            return null;
        }
    }

    public void Dispose()
    {
        foreach (var g in _graphs.Values) g.Dispose();
        _graphs.Clear();
    }

    private sealed record Captured(CudaGraph Graph, Tensor X, Tensor Y, Tensor Logits) : IDisposable
    {
        public void Dispose()
        {
            Logits.Dispose();
            X.Dispose();
            Y.Dispose();
            Graph.Dispose();
        }
    }
}
