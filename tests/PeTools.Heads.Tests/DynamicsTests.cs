using System.Text.Json;
using PeTools.Core.Logging;
using PeTools.Torch.Heads;
using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

public class DynamicsTests
{
    [Fact]
    public void Dynamics_over_hand_built_snapshots_finds_the_planted_head_and_the_step_it_took_over()
    {
        // Given a run directory: step 10 plants head 1, steps 20 and 30 and the final model (step 30) plant head 2
        var root = Path.Combine(Path.GetTempPath(), "pe-heads-dyn-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = new RunDirectory(root);
            Directory.CreateDirectory(root);
            run.WriteConfig(new RunConfig(Planted.Config(), new TrainConfig { IgnoreClass = null }, "unused"));
            using var early = Planted.Model(head: 1);
            using var late = Planted.Model(head: 2);
            foreach (var (step, model) in new[] { (10L, early), (20L, late), (30L, late) })
            {
                Directory.CreateDirectory(run.SnapshotDir(step));
                SafeTensors.Save(Path.Combine(run.SnapshotDir(step), "model.safetensors"), model.state_dict());
            }
            SafeTensors.Save(run.ModelPath, late.state_dict());
            Directory.CreateDirectory(run.CheckpointDir);
            File.WriteAllText(Path.Combine(run.CheckpointDir, "state.json"), JsonSerializer.Serialize(new TrainerState(3, 30, []), RunConfig.Json));

            // When every head's drop is measured at every step, on rows the final model labels, and summarised
            var drops = Dynamics.Measure(root, _ => Planted.LabelledBy(late), [0, 1], 64, CPU, SilentLog.Instance);
            var summary = Dynamics.Summarise(drops, threshold: 0.2);

            // Then steps 10, 20, 30 appear once each (the step-30 snapshot is the final model), layer 0's final top
            // head is 2, and it became top (with a drop ≥ 0.2) at step 20; at step 10 head 2 cost nothing
            Assert.Equal([10L, 20L, 30L], drops.Select(d => d.Step).Distinct());
            Assert.Equal(2 * Planted.Heads * 3, drops.Count); // layers × heads × steps
            var layer0 = summary.Where(s => s.Layer == 0).ToList();
            Assert.All(layer0, s => Assert.Equal((2, 20L), (s.FinalTopHead, s.DepositStep)));
            Assert.Equal(0.0, drops.Single(d => d.Step == 10 && d.Layer == 0 && d.Head == 2).Drop);
            Assert.Equal(2, layer0.Single(s => s.Step == 30).TopHead);
            Assert.True(layer0.Single(s => s.Step == 30).Amplified); // layer 1's margin is 0: γ_0 = +∞
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_run_stopped_early_ends_its_curve_at_the_latest_checkpoint()
    {
        // Given a run stopped by --stop-after-epochs: snapshots at steps 10 and 20, no model.safetensors, and a
        // checkpoint at step 25
        var root = Path.Combine(Path.GetTempPath(), "pe-heads-dyn-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = new RunDirectory(root);
            Directory.CreateDirectory(run.SnapshotDir(10));
            Directory.CreateDirectory(run.SnapshotDir(20));
            Directory.CreateDirectory(run.CheckpointDir);
            File.WriteAllText(Path.Combine(run.CheckpointDir, "state.json"), JsonSerializer.Serialize(new TrainerState(2, 25, []), RunConfig.Json));

            // When the steps to evaluate are listed
            var steps = Dynamics.Steps(run, SilentLog.Instance);

            // Then the snapshots come first and the checkpoint (loaded as "final", snapshot null) last
            Assert.Equal([(10L, (long?)10L), (20L, 20L), (25L, null)], steps);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Gains_are_margin_ratios_and_amplified_means_every_gain_above_exceeds_one()
    {
        // Given margins 0.6, 0.3, 0.1 at step 1 (growing towards layer 0) and 0.6, 0.1, 0.3 at step 2
        var drops = new List<DynamicsDrop>();
        void Layer(long step, int layer, double margin)
        {
            drops.Add(new DynamicsDrop(step, layer, 0, 1, 0.05));
            drops.Add(new DynamicsDrop(step, layer, 1, 1, 0.05 + margin));
        }
        Layer(1, 0, 0.6); Layer(1, 1, 0.3); Layer(1, 2, 0.1);
        Layer(2, 0, 0.6); Layer(2, 1, 0.1); Layer(2, 2, 0.3);

        // When summarised
        var s = Dynamics.Summarise(drops, threshold: 0.2).ToDictionary(r => (r.Step, r.Layer));

        // Then γ_l = Margin_l / Margin_(l+1), NaN in the last layer; amplified needs every γ from l up to exceed 1
        Assert.Equal(2.0, s[(1, 0)].Gamma, 9);
        Assert.Equal(3.0, s[(1, 1)].Gamma, 9);
        Assert.True(double.IsNaN(s[(1, 2)].Gamma));
        Assert.True(s[(1, 0)].Amplified && s[(1, 1)].Amplified && s[(1, 2)].Amplified);
        Assert.False(s[(2, 0)].Amplified); // γ_0 = 6 but γ_1 = 1/3
        Assert.False(s[(2, 1)].Amplified);
        Assert.Equal(0.6, s[(2, 0)].Margin, 9);
        Assert.Equal((1, 1L), (s[(2, 0)].FinalTopHead, s[(2, 0)].DepositStep));
    }
}
