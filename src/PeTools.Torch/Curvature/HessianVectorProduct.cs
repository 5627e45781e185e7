using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Curvature;

/// <summary>One fixed batch of the loss: tokens (B, T) int64, targets (B) int64.</summary>
public sealed record LossBatch(Tensor Tokens, Tensor Targets);

/// <summary>
/// The training loss on fixed batches, L(θ) = Σ_batches Σ_rows cross-entropy / N (N = rows whose target is counted,
/// as pe-train's loss), and its Hessian over a <see cref="CurvatureScope"/> as an operator: v ↦ Hv by double backward
/// (Pearlmutter's trick as PyHessian does it: g = ∂L/∂θ with create_graph, then ∂(g·v)/∂θ), batch by batch and summed,
/// so the batch size changes memory and speed, never the function. Every evaluation runs in eval mode (no dropout: L is
/// deterministic) on the composite attention path (twice differentiable everywhere); the model's mode and path are
/// restored after. Vectors are flat (n), on the parameters' device and dtype; nothing is read back to the host.
/// </summary>
public sealed class HessianVectorProduct
{
    private readonly Transformer model;
    private readonly IReadOnlyList<LossBatch> batches;
    private readonly long ignoreIndex;
    private readonly double counted;

    public HessianVectorProduct(Transformer model, CurvatureScope scope, IReadOnlyList<LossBatch> batches, int? ignoreClass)
    {
        if (batches.Count == 0) throw new ArgumentException("the loss needs at least one batch", nameof(batches));
        this.model = model;
        this.batches = batches;
        Scope = scope;
        ignoreIndex = ignoreClass ?? -100;
        counted = Math.Max(1, batches.Sum(b => b.Targets.ne(ignoreIndex).sum().item<long>())); // once, at construction
    }

    public CurvatureScope Scope { get; }
    public long Dimension => Scope.Dimension;
    public ScalarType DType => Scope.Parameters[0].dtype;
    public Device Device => Scope.Parameters[0].device;

    /// <summary>Hv for a flat v (n); a new tensor in the caller's dispose scope.</summary>
    public Tensor Apply(Tensor v) => Deterministic(() =>
    {
        using var scope = NewDisposeScope();
        var hv = zeros(Dimension, dtype: v.dtype, device: v.device);
        foreach (var batch in batches)
        {
            using var step = NewDisposeScope();
            var loss = Loss(batch);
            // retain_graph too: TorchSharp passes false where PyTorch defaults it to create_graph, and the second
            // backward needs the first graph's saved tensors (log-softmax's output, say).
            var grads = autograd.grad([loss], [.. Scope.Parameters], retain_graph: true, create_graph: true, allow_unused: true);
            var gv = Scope.Dot(grads, v);                                            // g·v, a scalar with a graph
            if (!gv.requires_grad) continue;                                         // L is linear in θ_S here: H = 0
            hv.add_(Scope.Flatten(autograd.grad([gv], [.. Scope.Parameters], allow_unused: true)));
        }
        return hv.MoveToOuterDisposeScope();
    });

    /// <summary>L and ∂L/∂θ_S (flat), as device tensors in the caller's dispose scope.</summary>
    public (Tensor Loss, Tensor Gradient) LossAndGradient() => Deterministic(() =>
    {
        using var scope = NewDisposeScope();
        var total = zeros([], dtype: ScalarType.Float64, device: Device);
        var gradient = zeros(Dimension, dtype: DType, device: Device);
        foreach (var batch in batches)
        {
            using var step = NewDisposeScope();
            var loss = Loss(batch);
            gradient.add_(Scope.Flatten(autograd.grad([loss], [.. Scope.Parameters], allow_unused: true)));
            total.add_(loss.detach().to(ScalarType.Float64));
        }
        return (total.MoveToOuterDisposeScope(), gradient.MoveToOuterDisposeScope());
    });

    /// <summary>This batch's share of L: Σ cross-entropy over its rows / N.</summary>
    private Tensor Loss(LossBatch batch)
    {
        var logits = model.call(batch.Tokens);                                       // (B, Classes)
        if (logits.dtype != ScalarType.Float64) logits = logits.to(ScalarType.Float32);
        return F.cross_entropy(logits, batch.Targets, ignore_index: ignoreIndex, reduction: nn.Reduction.Sum) / counted;
    }

    /// <summary>Runs <paramref name="body"/> in eval mode on composite attention; the previous mode and paths come back.</summary>
    private T Deterministic<T>(Func<T> body)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var path = model.UseAttentionPath(AttentionPath.Composite);
            return body();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
