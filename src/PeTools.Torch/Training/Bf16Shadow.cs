using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Training;

/// <summary>
/// Mixed precision by hand (TorchSharp 0.107 has no autocast): a bf16 copy of the model does the forward and backward
/// passes, while the fp32 model keeps the master weights and AdamW its fp32 moments. Each step copies the master
/// weights down to bf16 (<see cref="PullWeights"/>) and the bf16 gradients up to fp32 (<see cref="PushGradients"/>).
/// Checkpoints hold only the master weights, so a bf16 run resumes like an fp32 one.
/// <para>Flat (given the master's <see cref="FlatParameters"/>): the bf16 copy is one flat bf16 buffer in the same
/// layout, so each direction is one copy kernel. Per tensor (no flat master): one copy per parameter each way, the
/// oracle of the flat path; both round the same values the same way (round to nearest), so they agree bit for bit.</para>
/// </summary>
public sealed class Bf16Shadow : IDisposable
{
    private readonly Parameter[] _master;
    private readonly Parameter[] _shadow;
    private readonly FlatParameters? _flatMaster;
    private readonly FlatParameters? _flatShadow;

    public Bf16Shadow(Transformer master, Device device, FlatParameters? flatMaster = null)
    {
        Model = new Transformer(master.Config);
        Model.to(device);
        Model.to(ScalarType.BFloat16);
        var byName = Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var pairs = master.named_parameters().Select(p => (p.name, p.parameter, byName[p.name])).ToArray();
        _master = pairs.Select(p => p.Item2).ToArray();
        _shadow = pairs.Select(p => p.Item3).ToArray();
        if (flatMaster is null) return;
        _flatMaster = flatMaster;
        _flatShadow = new FlatParameters(pairs.Select(p => (p.name, p.Item3))); // the master's order, so the same layout
        if (!_flatShadow.SameLayout(flatMaster))
            throw new InvalidOperationException("the bf16 copy's flat layout differs from the master's");
    }

    /// <summary>The bf16 model that computes; train/eval mode follows the caller.</summary>
    public Transformer Model { get; }

    /// <summary>Copies the fp32 master weights into the bf16 model (round to nearest).</summary>
    public void PullWeights()
    {
        using var _ = no_grad();
        if (_flatShadow is not null)
        {
            _flatShadow.Data.copy_(_flatMaster!.Data);
            return;
        }
        for (int i = 0; i < _master.Length; i++) _shadow[i].copy_(_master[i]);
    }

    /// <summary>
    /// Flat: the bf16 gradients into the master's flat fp32 gradient buffer (one kernel); returns null, the optimizer
    /// reads that buffer. Per tensor: the bf16 gradients as new fp32 tensors in the master's parameter order (null: no
    /// gradient).
    /// </summary>
    public Tensor?[]? PushGradients()
    {
        if (_flatShadow is null) return _shadow.Select(p => p.grad?.to(ScalarType.Float32)).ToArray();
        _flatShadow.AdoptGradients();
        _flatMaster!.ActivateLike(_flatShadow);
        using var _ = no_grad();
        _flatMaster.Grad.copy_(_flatShadow.Grad);
        return null;
    }

    public void ZeroGrad()
    {
        if (_flatShadow is not null) _flatShadow.ZeroGrad();
        else foreach (var p in _shadow) p.grad?.zero_();
    }

    public void Dispose()
    {
        _flatShadow?.Dispose();
        Model.Dispose();
    }
}
