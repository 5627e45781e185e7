using PeTools.Torch.Kernels;
using PeTools.Torch.Testing;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>mma_attention.cu's backward by halves of 64 queries (dS through shared memory, dq a warp per 16 rows and
/// 8 dims) where the kernel check's cases do not reach: two halves on the general (ragged) variant, the paper's
/// whole-tile no-bias path at 128, and block sizes whose warps do not divide a half's 8 dq items (more than one round).</summary>
public class MmaAttentionHalvesTests
{
    public static IReadOnlyList<FusedSmallAttentionCheck.Case> Cases { get; } =
    [
        // 7 warps: the first half's 8 dq items take two rounds; ragged, so the general variant; every bias term but slopes
        new("ragged-two-halves-causal-relative-dropout", 2, 2, 101, true, 0.1, Slopes: false, Causal: true, Relative: true),
        new("whole-tiles-no-bias-longest-dropout", 1, 2, 128, false, 0.1, Slopes: false),
        new("ragged-two-warps-alibi-dropout", 2, 2, 20, true, 0.2),  // 2 warps, 4 dq items: two rounds
    ];

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Tensor_core_backward_by_halves_equals_the_composite(string caseName)
    {
        // Given a length past one half, a whole-tile 128, or a block of few warps, in bf16
        var c = Cases.Single(x => x.Name == caseName);
        var counting = new CountingLauncher(KernelEmulator.Instance);

        // When the emulated tensor-core kernels and the composite attend and back-propagate
        double difference = FusedSmallAttentionCheck.Compare(counting, CPU, ScalarType.BFloat16, c, tensorCores: true);

        // Then z, dq, dk, dv (and the table's gradient) agree to bf16 rounding, through the tensor-core kernels
        Assert.True(difference <= FusedSmallAttentionCheck.Tolerance(ScalarType.BFloat16), $"{difference}");
        Assert.Equal(2, counting.LaunchesOf("attention_mma_"));
    }
}
