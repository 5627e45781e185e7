using PeTools.Torch.Training;

namespace PeTools.Torch.Tests.Training;

public class LrScheduleTests
{
    [Fact]
    public void Warmup_rises_linearly_to_the_peak_then_cosine_decays_to_zero()
    {
        // Given the reference's schedule for 13,700 steps (100 epochs of 137): warm-up int(0.06·13700) = 822
        var s = LrSchedule.WarmupCosine(1e-4, 0.06, 13_700);

        // Then
        Assert.Equal(822, s.WarmupSteps);
        Assert.Equal(0.0, s.At(0));
        Assert.Equal(0.5e-4, s.At(411), 12);
        Assert.Equal(1e-4, s.At(822), 12);
        Assert.Equal(0.5e-4, s.At(822 + (13_700 - 822) / 2), 9);
        Assert.Equal(0.0, s.At(13_700), 12);
        for (long t = 822; t < 13_700; t += 97) Assert.True(s.At(t + 1) <= s.At(t));
    }
}
