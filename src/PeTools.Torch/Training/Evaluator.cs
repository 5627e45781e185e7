using PeTools.Torch.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeTools.Torch.Training;

/// <summary>Loss and accuracy of a model on a split, in eval mode, without gradients.</summary>
public static class Evaluator
{
    /// <summary>Mean loss and accuracy over rows whose target is not <paramref name="ignoreClass"/>.</summary>
    public static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, SplitTensors split, int batchSize, int? ignoreClass)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var device = split.Tokens.device;
            var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
            var correct = zeros(1, dtype: ScalarType.Int64, device: device);
            var count = zeros(1, dtype: ScalarType.Int64, device: device);
            for (long start = 0; start < split.Count; start += batchSize)
            {
                using var step = NewDisposeScope();
                long n = Math.Min(batchSize, split.Count - start);
                var x = split.Tokens.narrow(0, start, n);
                var y = split.Targets.narrow(0, start, n);
                var logits = model.call(x).to(ScalarType.Float32);
                var (l, c, k) = BatchStats(logits, y, ignoreClass);
                lossSum.add_(l);
                correct.add_(c);
                count.add_(k);
            }
            long total = count.item<long>();
            if (total == 0) return (double.NaN, double.NaN);
            return (lossSum.item<double>() / total, (double)correct.item<long>() / total);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Summed loss, number correct and number counted for one batch, as device tensors (no host sync), so the
    /// training loop can accumulate them and read them once per epoch.
    /// </summary>
    public static (Tensor LossSum, Tensor Correct, Tensor Count) BatchStats(Tensor logits, Tensor targets, int? ignoreClass)
    {
        var lossSum = F.cross_entropy(logits, targets, ignore_index: ignoreClass ?? -100, reduction: nn.Reduction.Sum)
            .to(ScalarType.Float64);
        var hit = logits.argmax(-1).eq(targets);
        if (ignoreClass is { } ignore)
        {
            var valid = targets.ne(ignore);
            return (lossSum, hit.logical_and(valid).sum(), valid.sum());
        }
        return (lossSum, hit.sum(), full(1, targets.shape[0], dtype: ScalarType.Int64, device: targets.device).sum());
    }
}
