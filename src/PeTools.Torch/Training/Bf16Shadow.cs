using PeTools.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Training;

/// <summary>
/// Mixed precision by hand (TorchSharp 0.107 has no autocast): a bf16 copy of the model does the forward and backward
/// passes, while the fp32 model keeps the master weights and AdamW its fp32 moments. Each step copies the master
/// weights down to bf16 (<see cref="PullWeights"/>) and the bf16 gradients up to fp32 (<see cref="Float32Grads"/>).
/// Checkpoints hold only the master weights, so a bf16 run resumes like an fp32 one.
/// </summary>
public sealed class Bf16Shadow : IDisposable
{
    private readonly Parameter[] _master;
    private readonly Parameter[] _shadow;

    public Bf16Shadow(Transformer master, Device device)
    {
        Model = new Transformer(master.Config);
        Model.to(device);
        Model.to(ScalarType.BFloat16);
        var byName = Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var pairs = master.named_parameters().Select(p => (p.parameter, byName[p.name])).ToArray();
        _master = pairs.Select(p => p.Item1).ToArray();
        _shadow = pairs.Select(p => p.Item2).ToArray();
    }

    /// <summary>The bf16 model that computes; train/eval mode follows the caller.</summary>
    public Transformer Model { get; }

    /// <summary>Copies the fp32 master weights into the bf16 model (round to nearest).</summary>
    public void PullWeights()
    {
        using var _ = no_grad();
        for (int i = 0; i < _master.Length; i++) _shadow[i].copy_(_master[i]);
    }

    /// <summary>The bf16 model's gradients as fp32 tensors, in the master model's parameter order (null: no gradient).</summary>
    public Tensor?[] Float32Grads() => _shadow.Select(p => p.grad?.to(ScalarType.Float32)).ToArray();

    public void ZeroGrad()
    {
        foreach (var p in _shadow) p.grad?.zero_();
    }

    public void Dispose() => Model.Dispose();
}
