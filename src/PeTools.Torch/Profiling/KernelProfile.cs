namespace PeTools.Torch.Profiling;

/// <summary>One line of a kernel profile: a kernel (or a summary line), its launches and GPU time per step, and its share
/// of all kernel time.</summary>
public sealed record KernelProfileLine(string Kernel, double CallsPerStep, double MicrosecondsPerStep, double Share);

/// <summary>
/// Where a step's GPU time goes, from the activities recorded over some steps: the kernels by total time, grouped by
/// name, with the same lines as bench/train/torch_bench.py's torch.profiler summary (so the two sides compare line by
/// line), and one more: the time in the recorded span when no kernel ran, which is what host overhead costs.
/// </summary>
public static class KernelProfile
{
    public const string AllKernels = "ALL KERNELS";
    public const string Idle = "GPU IDLE (span without any kernel running)";
    public const int NameLength = 160;

    public static IReadOnlyList<KernelProfileLine> Summarise(IReadOnlyList<GpuActivity> activities, int steps, int top)
    {
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one step");
        double total = activities.Sum(a => a.Microseconds);
        var lines = new List<KernelProfileLine>
        {
            new(AllKernels, activities.Count / (double)steps, total / steps, 1.0),
        };
        if (activities.Count == 0) return lines;
        double idle = IdleMicroseconds(activities);
        lines.Add(new KernelProfileLine(Idle, 0, idle / steps, total > 0 ? idle / total : 0));
        lines.AddRange(activities
            .GroupBy(a => a.Name.Length > NameLength ? a.Name[..NameLength] : a.Name, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Calls: g.Count(), Us: g.Sum(a => a.Microseconds)))
            .OrderByDescending(g => g.Us).ThenBy(g => g.Name, StringComparer.Ordinal)
            .Take(top)
            .Select(g => new KernelProfileLine(g.Name, g.Calls / (double)steps, g.Us / steps, total > 0 ? g.Us / total : 0)));
        return lines;
    }

    /// <summary>From the first start to the last end, the time covered by no activity (overlapping activities, as
    /// concurrent kernels, count once).</summary>
    public static double IdleMicroseconds(IReadOnlyList<GpuActivity> activities)
    {
        var sorted = activities.OrderBy(a => a.StartNs).ToArray();
        ulong covered = 0, runStart = sorted[0].StartNs, runEnd = sorted[0].EndNs;
        foreach (var a in sorted.Skip(1))
        {
            if (a.StartNs > runEnd)
            {
                covered += runEnd - runStart;
                (runStart, runEnd) = (a.StartNs, a.EndNs);
            }
            else if (a.EndNs > runEnd) runEnd = a.EndNs;
        }
        covered += runEnd - runStart;
        ulong span = sorted.Max(a => a.EndNs) - sorted[0].StartNs;
        return (span - covered) / 1000.0;
    }
}
