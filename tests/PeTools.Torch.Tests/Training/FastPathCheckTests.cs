using PeTools.Torch.Training;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Training;

/// <summary>pe-train check's comparisons, on CPU (GpuTests runs every case on CUDA).</summary>
public class FastPathCheckTests
{
    [Fact]
    public void Every_fast_path_passes_against_its_oracle_on_cpu_and_the_sync_check_is_skipped()
    {
        // Given three cases: fp32 RoPE (reference), bf16 MLA, fp32 standard causal
        var cases = FastPathCheck.DefaultCases
            .Where(c => c.Name is "rope/reference/mha/fp32" or "rope/reference/mla/bf16" or "rope/standard/mha/fp32/causal")
            .ToList();
        Assert.Equal(3, cases.Count);

        // When they are checked on CPU
        var rows = FastPathCheck.Run(CPU, cases).ToList();

        // Then every comparison passes (forward and gradients twice: all fast paths, then the default ones), flat AdamW is bit-identical, the per-tensor oracle agrees with itself (so the
        // flat-step bound stays at 1e-6: the atomics allowance is 0 on CPU), and no-sync and the run-time kernel rows
        // (8 rotation, 20 LayerNorm (half passing the residual on), 18 bias (a third with 16-byte column sums, a third with the ReLU), 8 residual dropout, 26 attention, 11 tensor-core attention (bf16 only): one per layout, shape or case and dtype) and the
        // CUDA graph rows (one per case, one with dropout) and the in-place gradient rows (one per case) are skipped: on CPU
        // there is nothing to synchronise, no CUDA kernel and no graph
        Assert.Equal(100 + 3 * 9 + 1, rows.Count);
        Assert.All(rows.Where(r => r.Check is "graph-step" or "graph-dropout" or "inplace-grads" or "rope-kernel" or "ln-kernel" or "ln-residual" or "bias-kernel" or "bias-kernel-16B" or "linear-relu" or "attn-kernel" or "tc-attn-kernel" or "tc-attn-bias-kinds" or "residual-kernel"), r => Assert.Equal(FastPathCheck.Skip, r.Status));
        Assert.All(rows.Where(r => r.Check is not ("no-sync" or "graph-step" or "graph-dropout" or "inplace-grads" or "rope-kernel" or "ln-kernel" or "ln-residual" or "bias-kernel" or "bias-kernel-16B" or "linear-relu" or "attn-kernel" or "tc-attn-kernel" or "tc-attn-bias-kinds" or "residual-kernel")), r => Assert.True(r.Status == FastPathCheck.Pass, $"{r.Check} {r.Case}: {r.Difference}"));
        Assert.All(rows.Where(r => r.Check == "flat-step"), r => Assert.Equal((0.0, 1e-6), (r.Difference, r.Tolerance)));
        Assert.All(rows.Where(r => r.Check == "no-sync"), r => Assert.Equal(FastPathCheck.Skip, r.Status));
    }
}
