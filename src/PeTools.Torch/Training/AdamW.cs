using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// AdamW with decoupled weight decay, numerically the same update as PyTorch's single-tensor AdamW
/// (p ← p·(1−lr·wd); m, v moments; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)), one parameter tensor at a time.
/// Written here rather than using TorchSharp's so that (a) its whole state is two named tensors per parameter plus a
/// step count, saved in our safetensors checkpoints and restored bit-exactly, and (b) the learning rate is an
/// argument of <see cref="Step"/>, so the schedule stays a pure function of the step.
/// <see cref="FlatAdamW"/> is the same update over one flat buffer (the fast path); this one is its oracle.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private readonly (string Name, Parameter P)[] _params;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    public AdamW(IEnumerable<(string Name, Parameter P)> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        _params = parameters.ToArray();
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        using var _ = no_grad();
        _m = _params.Select(p => zeros_like(p.P).DetachFromDisposeScope()).ToArray();
        _v = _params.Select(p => zeros_like(p.P).DetachFromDisposeScope()).ToArray();
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public long StepCount { get; private set; }

    public void ZeroGrad()
    {
        foreach (var (_, p) in _params) p.grad?.zero_();
    }

    /// <summary>
    /// One update with learning rate <paramref name="lr"/>, from the parameters' own gradients or from
    /// <paramref name="grads"/> (fp32 gradients in parameter order, for mixed precision). No gradient: skipped.
    /// </summary>
    public void Step(double lr, IReadOnlyList<Tensor?>? grads = null)
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i].P;
            var g = grads is null ? p.grad : grads[i];
            if (g is null) continue;
            p.mul_(1 - lr * WeightDecay);
            _m[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _v[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = _v[i].sqrt().div_(bc2Sqrt).add_(Eps);
            p.addcdiv_(_m[i], denom, value: -lr / bc1);
        }
    }

    /// <summary>Optimizer state as named tensors (for checkpoints): <c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>.</summary>
    public Dictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Length; i++)
        {
            d["exp_avg." + _params[i].Name] = _m[i];
            d["exp_avg_sq." + _params[i].Name] = _v[i];
        }
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        using var _ = no_grad();
        for (int i = 0; i < _params.Length; i++)
        {
            _m[i].copy_(state["exp_avg." + _params[i].Name]);
            _v[i].copy_(state["exp_avg_sq." + _params[i].Name]);
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
