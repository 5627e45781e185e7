using PeTools.Core.Errors;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>Opens a trained pe-train run for analysis: its config, and a model with the chosen weights, in eval mode.</summary>
public static class RunLoader
{
    /// <summary>
    /// The model of <paramref name="runDir"/> with its final weights, or those of snapshot <paramref name="snapshotStep"/>,
    /// or (for a run still training) its latest checkpoint.
    /// </summary>
    public static (Transformer Model, RunConfig Config) Load(string runDir, Device device, long? snapshotStep = null)
    {
        var run = new RunDirectory(runDir);
        var config = run.ReadConfig();
        var weightsPath = snapshotStep is { } s
            ? Path.Combine(run.SnapshotDir(s), "model.safetensors")
            : File.Exists(run.ModelPath) ? run.ModelPath
            : Checkpoint.Latest(run) is { } ckpt ? Path.Combine(ckpt, "model.safetensors")
            : throw new InputError(runDir, "run directory", "model.safetensors or a checkpoint", "neither");
        var model = new Transformer(config.Model);
        var (weights, _) = SafeTensors.Load(weightsPath);
        try
        {
            Checkpoint.LoadWeights(model, weights, weightsPath);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        model.to(device);
        model.eval();
        return (model, config);
    }
}
