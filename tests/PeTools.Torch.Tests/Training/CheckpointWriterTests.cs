using PeTools.Torch.Model;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Training;

/// <summary>Checkpoints written in the background hold the values of the moment they were asked for.</summary>
public class CheckpointWriterTests
{
    [Fact]
    public void A_background_checkpoint_holds_the_weights_and_moments_of_its_save_even_when_training_goes_on()
    {
        // Given a model with AdamW moments after one step, and a writer asked to save it
        var root = Path.Combine(Path.GetTempPath(), "pe-ckpt-writer-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            var model = nn.Linear(6, 4);
            using var opt = new AdamW(model.named_parameters(), 0.9, 0.99, 1e-8, 0.0);
            Step(model, opt);
            var weightAtSave = model.weight!.detach().clone();
            var momentsAtSave = opt.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var run = new RunDirectory(root);
            var config = new RunConfig(new TransformerConfig(), new TrainConfig(), "data.parquet");
            var state = new TrainerState(1, 1, []);
            using (var writer = new CheckpointWriter())
            {
                writer.Save(run, config, model, opt, state);

                // When training goes on before the write is waited for
                for (int i = 0; i < 3; i++) Step(model, opt);
                writer.Wait();
            }

            // Then the checkpoint on disk has the values of the save, not the later ones
            var restored = nn.Linear(6, 4);
            using var restoredOpt = new AdamW(restored.named_parameters(), 0.9, 0.99, 1e-8, 0.0);
            var loaded = Checkpoint.Load(Checkpoint.Latest(run)!, restored, restoredOpt);
            Assert.Equal(1, loaded.EpochsDone);
            Assert.Equal(1, restoredOpt.StepCount);
            Assert.True(restored.weight!.equal(weightAtSave).all().item<bool>());
            Assert.False(model.weight!.equal(weightAtSave).all().item<bool>());
            foreach (var (name, moment) in restoredOpt.StateTensors())
                Assert.True(moment.equal(momentsAtSave[name]).all().item<bool>(), name);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_failed_background_write_is_rethrown_by_wait()
    {
        // Given a run directory whose root is a file, so no checkpoint directory can be made under it
        var root = Path.Combine(Path.GetTempPath(), "pe-ckpt-writer-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(root, "not a directory");
        try
        {
            using var scope = NewDisposeScope();
            var model = nn.Linear(2, 2);
            using var opt = new AdamW(model.named_parameters(), 0.9, 0.99, 1e-8, 0.0);
            using var writer = new CheckpointWriter();

            // When a save is started and waited for, Then the write's failure surfaces there
            writer.Save(new RunDirectory(root), new RunConfig(new TransformerConfig(), new TrainConfig(), "d"), model, opt,
                new TrainerState(1, 1, []));
            Assert.ThrowsAny<IOException>(writer.Wait);
        }
        finally
        {
            File.Delete(root);
        }
    }

    [Fact]
    public void A_host_mirror_refills_the_same_buffers_with_the_current_values()
    {
        // Given a mirror filled once from two tensors
        using var scope = NewDisposeScope();
        using var mirror = new HostMirror();
        var a = arange(6f).reshape(2, 3);
        var first = mirror.Fill(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = ones(4) });
        var buffer = first["a"];

        // When a changes and the mirror is filled again without b
        a.add_(10);
        var second = mirror.Fill(new Dictionary<string, Tensor> { ["a"] = a });

        // Then the same buffer holds a's new values, not an alias of a, and b is gone
        Assert.Same(buffer, second["a"]);
        Assert.Equal(a.data<float>().ToArray(), second["a"].data<float>().ToArray());
        a.add_(1);
        Assert.NotEqual(a.data<float>().ToArray(), second["a"].data<float>().ToArray());
        Assert.False(second.ContainsKey("b"));
    }

    private static void Step(nn.Module<Tensor, Tensor> model, AdamW opt)
    {
        opt.ZeroGrad();
        model.call(ones(3, 6)).pow(2).sum().backward();
        opt.Step(1e-2);
    }
}
