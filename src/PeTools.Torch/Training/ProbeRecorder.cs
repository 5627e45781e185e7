using PeTools.Core.Tables;

namespace PeTools.Torch.Training;

/// <summary>
/// When to probe and where the rows go: at step 0 of a fresh run, every <c>every</c> steps and at the last step, the
/// whole probes table rewritten atomically each time (as metrics), so an interrupted run keeps what it measured. On
/// resume, the rows already in <c>path</c> are kept up to the step training continues from (rows measured after the
/// last checkpoint are measured again). Plug <see cref="OnStep"/> into <see cref="Trainer.StepCompleted"/>.
/// </summary>
public sealed class ProbeRecorder(Probes probes, long every, long totalSteps, string path,
    IReadOnlyDictionary<string, string>? metadata = null)
{
    private readonly List<ProbeRow> rows = File.Exists(path) ? Read(path) : [];
    private bool started;

    public IReadOnlyList<ProbeRow> Rows => rows;

    public void OnStep(long step)
    {
        if (!started)
        {
            rows.RemoveAll(r => r.Step >= step);
            started = true;
        }
        if (step % every != 0 && step != totalSteps) return;
        rows.AddRange(probes.Measure(step));
        ProbeRow.Write(path, rows, metadata);
    }

    private static List<ProbeRow> Read(string path)
    {
        using var reader = TableReader.Open(path, Schemas.Probes);
        return [.. ProbeRow.FromBatch(reader.ReadAll())];
    }
}
