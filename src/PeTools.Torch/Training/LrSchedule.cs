namespace PeTools.Torch.Training;

/// <summary>
/// Linear warm-up from 0 to the peak over the first <c>warmupSteps</c>, then cosine decay to 0 at
/// <c>totalSteps</c>, stepped per batch: the reference code's LambdaLR (reference-code.md §4.1).
/// A pure function of the step, so resuming needs no scheduler state.
/// </summary>
public sealed record LrSchedule(double PeakLr, long WarmupSteps, long TotalSteps)
{
    public static LrSchedule WarmupCosine(double peakLr, double warmupFraction, long totalSteps) =>
        new(peakLr, (long)(warmupFraction * totalSteps), totalSteps); // int(0.06 * total) as the reference

    /// <summary>The learning rate used for the update that follows <paramref name="step"/> completed steps.</summary>
    public double At(long step)
    {
        if (step < WarmupSteps) return PeakLr * step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return PeakLr * Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
    }
}
