using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>What a checkpoint needs of an optimizer: its named state tensors and its step count.</summary>
public interface IOptimizer : IDisposable
{
    long StepCount { get; }

    /// <summary>Optimizer state as named tensors (for checkpoints): <c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>.</summary>
    Dictionary<string, Tensor> StateTensors();

    void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount);
}
