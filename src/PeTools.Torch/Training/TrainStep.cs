using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Training;

/// <summary>
/// One optimisation step as pe-train takes it, shared by <see cref="Trainer"/>, <c>pe-train bench</c> and
/// <c>pe-train check</c>: [bf16: master weights down to the compute copy] forward, cross-entropy, backward, [bf16:
/// gradients up to fp32], optional global-norm clipping (PyTorch's clip_grad_norm_), AdamW. Nothing here reads a
/// value back to the host. <paramref name="fast"/> picks each fast path or its oracle (<see cref="FastPaths"/>).
/// </summary>
public sealed class TrainStep : IDisposable
{
    private readonly Transformer _model;
    private readonly TrainConfig _cfg;
    private readonly FlatParameters? _flat;
    private readonly FlatAdamW? _flatAdamW;
    private readonly AdamW? _adamW;
    private readonly Bf16Shadow? _shadow;
    private readonly GraphedGradients? _graphs;

    /// <param name="model">the fp32 model, already on <paramref name="device"/> (its parameters become flat views)</param>
    public TrainStep(Transformer model, TrainConfig cfg, Device device, FastPaths fast = FastPaths.Default)
    {
        _model = model;
        _cfg = cfg;
        Fast = fast;
        if (fast.HasFlag(FastPaths.Flat))
        {
            _flat = new FlatParameters(model.named_parameters());
            _flatAdamW = new FlatAdamW(_flat, cfg.Beta1, cfg.Beta2, cfg.Eps, cfg.WeightDecay);
        }
        else
        {
            _adamW = new AdamW(model.named_parameters(), cfg.Beta1, cfg.Beta2, cfg.Eps, cfg.WeightDecay);
        }
        _shadow = cfg.Precision == Precision.Bf16 ? new Bf16Shadow(model, device, _flat) : null;
        Compute = _shadow?.Model ?? model;
        ApplyModelPaths(model, fast);
        ApplyModelPaths(Compute, fast);
        // The bf16 master never back-propagates here; evaluation, probes and analyses run on it.
        if (!ReferenceEquals(Compute, model)) model.Kernels.AccumulateParameterGradients = false;
        if (fast.HasFlag(FastPaths.CudaGraph) && device.type == DeviceType.CUDA)
        {
            if (_flat is null) GraphNote = "CUDA graphs need the flat buffers (FastPaths.Flat): steps run eagerly";
            else if (Native.CudaGraph.Unavailable is { } why) GraphNote = $"CUDA graphs unavailable, steps run eagerly: {why}";
            else _graphs = new GraphedGradients(Gradients);
        }
    }

    /// <summary>What became of <see cref="FastPaths.CudaGraph"/>: null when it was not asked for or is working;
    /// otherwise why steps run eagerly.</summary>
    public string? GraphNote
    {
        get => field ?? _graphs?.Note;
        private set;
    }

    /// <summary>Batch shapes captured as CUDA graphs so far, and steps replayed from them.</summary>
    public (int Graphs, long Replays) GraphUse => _graphs is null ? (0, 0) : (_graphs.GraphCount, _graphs.Replays);

    /// <summary>Switches the model-level fast paths of <paramref name="fast"/> on in <paramref name="model"/>, the others off.</summary>
    public static void ApplyModelPaths(Transformer model, FastPaths fast)
    {
        model.FuseMemoryProjections = fast.HasFlag(FastPaths.FusedMemoryProjections);
        model.FastRotation = fast.HasFlag(FastPaths.FastRope);
        model.RotateInKernel = fast.HasFlag(FastPaths.RopeKernel);
        model.LayerNormInKernel = fast.HasFlag(FastPaths.LayerNormKernel);
        model.LinearInKernel = fast.HasFlag(FastPaths.BiasKernel);
        model.AttentionInKernel = fast.HasFlag(FastPaths.AttentionKernel);
        model.Kernels.AttentionFp32 = fast.HasFlag(FastPaths.AttentionKernelFp32);
        model.Kernels.RelativeAttention = fast.HasFlag(FastPaths.RelativeKernel);
        model.Kernels.BiasWithoutMemoryEfficient = fast.HasFlag(FastPaths.CudnnBiasAttention);
        model.Kernels.LearnedBiasExplicit = fast.HasFlag(FastPaths.LearnedBiasExplicit);
        model.Kernels.ConstantBiasExplicit = fast.HasFlag(FastPaths.ConstantBiasExplicit);
        model.Kernels.BiasAsFourDims = fast.HasFlag(FastPaths.BiasAsFourDims);
        model.Kernels.ResidualDropout = fast.HasFlag(FastPaths.ResidualDropoutKernel);
        model.Kernels.TensorCoreAttention = fast.HasFlag(FastPaths.TensorCoreAttention);
        model.Kernels.AttentionBiasKinds = fast.HasFlag(FastPaths.AttentionBiasKinds);
        model.Kernels.AccumulateParameterGradients = fast.HasFlag(FastPaths.ParameterGradientsInPlace);
        model.Kernels.VectorColumnSums = fast.HasFlag(FastPaths.VectorColumnSums);
        model.Kernels.ResidualGradientInNorm = fast.HasFlag(FastPaths.ResidualGradientInNorm);
        model.Kernels.ReluInProjection = fast.HasFlag(FastPaths.ReluInProjection);
    }

    public FastPaths Fast { get; }

    /// <summary>The model that runs forward and backward: the bf16 copy, or the fp32 model itself.</summary>
    public Transformer Compute { get; }

    /// <summary>The model that evaluation passes should run: the fp32 model, or (bf16 evaluation) the bf16 compute copy
    /// brought up to the current master weights.</summary>
    public Transformer EvaluationModel(Precision precision)
    {
        if (precision == Precision.Fp32 || _shadow is null) return _model;
        _shadow.PullWeights();
        return _shadow.Model;
    }

    public IOptimizer Optimizer => (IOptimizer?)_flatAdamW ?? _adamW!;

    /// <summary>
    /// One step on tokens <paramref name="x"/> (B, T) and targets <paramref name="y"/> (B) with learning rate
    /// <paramref name="lr"/>. Returns the fp32 logits (B, C), detached, in the caller's dispose scope.
    /// </summary>
    public Tensor Run(Tensor x, Tensor y, double lr)
    {
        if (_flat is not null)
        {
            var logits = _graphs?.Run(x, y) ?? Gradients(x, y);
            _flatAdamW!.Step(lr);
            return logits;
        }
        _shadow?.PullWeights();
        var output = Compute.call(x).to(ScalarType.Float32);                       // (B, C)
        var loss = F.cross_entropy(output, y, ignore_index: _cfg.IgnoreClass ?? -100);
        ZeroGrad();
        loss.backward();
        var grads = _shadow?.PushGradients();
        if (_cfg.ClipNorm > 0) ClipPerTensor(_cfg.ClipNorm, grads);
        _adamW!.Step(lr, grads);
        return output.detach();
    }

    /// <summary>Flat: everything before the optimizer, leaving the clipped fp32 gradients in the flat buffer; what
    /// <see cref="GraphedGradients"/> captures. Returns the fp32 logits (B, C), detached.</summary>
    private Tensor Gradients(Tensor x, Tensor y)
    {
        _shadow?.PullWeights();
        var logits = Compute.call(x).to(ScalarType.Float32);                      // (B, C)
        var loss = F.cross_entropy(logits, y, ignore_index: _cfg.IgnoreClass ?? -100);
        ZeroGrad();
        loss.backward();
        if (_shadow is not null) _shadow.PushGradients();
        else _flat!.AdoptGradients();
        if (_cfg.ClipNorm > 0) ClipFlat(_cfg.ClipNorm);
        return logits.detach();
    }

    private void ZeroGrad()
    {
        if (_flat is not null) _flat.ZeroGrad();
        else _adamW!.ZeroGrad();
        _shadow?.ZeroGrad();
    }

    /// <summary>Global-norm clipping by one norm of the flat gradient buffer (no host sync).</summary>
    private void ClipFlat(double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var coef = (maxNorm / (_flat!.Grad.norm() + 1e-6)).clamp_max(1.0);
        _flat.Grad.mul_(coef);
    }

    /// <summary>The oracle: the norm of the per-tensor norms (PyTorch's clip_grad_norm_), no host sync.</summary>
    private void ClipPerTensor(double maxNorm, IReadOnlyList<Tensor?>? mixedPrecisionGrads)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = (mixedPrecisionGrads ?? _model.parameters().Select(p => p.grad).ToArray()).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        var total = stack(grads.Select(g => g.norm()).ToArray()).norm();
        var coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coef);
    }

    public void Dispose()
    {
        _graphs?.Dispose();
        _shadow?.Dispose();
        _flatAdamW?.Dispose();
        _adamW?.Dispose();
        _flat?.Dispose();
    }
}
