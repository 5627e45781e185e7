using System.Text.Json;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Torch.Training;

namespace PeTools.Torch.Tests.Training;

/// <summary>Which weights a run holds, by step (pe-spectrum hessian --checkpoints, pe-heads dynamics).</summary>
public class RunCheckpointsTests
{
    [Fact]
    public void A_run_still_training_lists_its_snapshots_and_its_resume_checkpoint_by_step()
    {
        // Given a run with snapshots at steps 10, 20, 30 and a resume checkpoint after 3 epochs (30 steps), no final model
        var root = Path.Combine(Path.GetTempPath(), "pe-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = new RunDirectory(root);
            foreach (var step in new[] { 10, 20, 30 })
                Directory.CreateDirectory(run.SnapshotDir(step));
            Directory.CreateDirectory(run.CheckpointDir);
            File.WriteAllText(Path.Combine(run.CheckpointDir, "state.json"), JsonSerializer.Serialize(new TrainerState(3, 30, []), RunConfig.Json));

            // Then all = snapshots 10, 20 and the checkpoint at 30 (the step-30 snapshot is the same weights);
            // dynamics' list (final models only) has no checkpoint; latest is the checkpoint
            Assert.Equal([new(10, 10), new(20, 20), new RunWeights(30, null)], RunCheckpoints.Select(run, RunCheckpoints.All, SilentLog.Instance));
            Assert.Equal([new(10, 10), new(20, 20), new RunWeights(30, 30)], RunCheckpoints.List(run, SilentLog.Instance, withTrainingCheckpoint: false));
            Assert.Equal([new RunWeights(30, null)], RunCheckpoints.Select(run, RunCheckpoints.Latest, SilentLog.Instance));

            // And steps are picked by number, in order, once; epochs are steps / (steps per epoch = 10)
            Assert.Equal([new(10, 10), new RunWeights(30, null)], RunCheckpoints.Select(run, "30,10,30", SilentLog.Instance));
            Assert.Equal(2.5, RunCheckpoints.Epoch(run, 25), 12);
            Assert.True(double.IsNaN(RunCheckpoints.Epoch(run, -1)));

            // And a step the run does not hold, or a word, is a usage error naming the option and the steps it holds
            var e = Assert.Throws<UsageError>(() => RunCheckpoints.Select(run, "25", SilentLog.Instance));
            Assert.Contains("--checkpoints", e.Message);
            Assert.Contains("10,20,30", e.Message);
            Assert.Throws<UsageError>(() => RunCheckpoints.Select(run, "first", SilentLog.Instance));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
