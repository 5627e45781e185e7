namespace PeTools.EndToEnd.Tests;

/// <summary>pe-train bench and pe-train check, the two commands bench/train/gpu-check.sh runs.</summary>
public class PeTrainBenchTests
{
    private const string Tiny = "--d-model 32 --d-ff 64 --heads 4 --layers 2 --max-len 16 --batch-size 4 --warmup 0 --steps 1 -q";

    [Fact]
    public void Bench_writes_one_row_per_precision_and_variant_named_by_impl()
    {
        // Given a tiny model
        using var w = new Workdir();

        // When two precisions and two variants are timed
        var o = w.Run($"pe-train bench --pe rope {Tiny} --precision fp32,bf16 --fast-paths all,none --config-label t | cut -d, -f1,2,4");

        // Then there are four rows in that order, the fast path named pe-train and the oracle pe-train/none
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal(["impl,precision,config", "pe-train,fp32,t", "pe-train/none,fp32,t", "pe-train,bf16,t", "pe-train/none,bf16,t"],
            o.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Variants_joined_by_plus_add_and_remove_paths_from_the_first()
    {
        // Given a tiny model
        using var w = new Workdir();

        // When the defaults and the defaults less one path plus another variant's change are timed
        var o = w.Run($"pe-train bench --pe rope {Tiny} --fast-paths all,all+no-vector-sums+attn-kernel --config-label t");

        // Then the second row is named by the combination, and its fast paths lack the removed ones and have the added one
        Assert.True(o.ExitCode == 0, o.Stderr);
        var rows = o.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.StartsWith("pe-train,", rows[0]);
        Assert.StartsWith("pe-train/all+no-vector-sums+attn-kernel,", rows[1]);
        Assert.Matches(@"fast paths: Default\b", rows[0]);
        Assert.Matches(@"fast paths: [^;""]*\bAttentionKernel\b", rows[1]);
        Assert.Matches(@"fast paths: [^;""]*\bCudaGraph\b", rows[1]);
        Assert.DoesNotMatch(@"\bVectorColumnSums\b", rows[1]);
        Assert.DoesNotMatch(@"\bTensorCoreAttention\b", rows[1]);
    }

    [Theory]
    [InlineData("bench --pe rope --fast-paths fast", "option --fast-paths: expected one of all, none, no-flat")]
    [InlineData("bench --pe rope --fast-paths all+fast", "option --fast-paths: expected one of all, none, no-flat")]
    [InlineData("bench --pe rope --precision fp32,fp16", "option --precision: expected fp32, bf16 or fp32,bf16, found 'fp32,fp16'")]
    [InlineData("bench --pe rope --profile p.csv -q", "option --profile: expected --device cuda (CUPTI records GPU kernels only), found 'p.csv'")]
    [InlineData("bench --pe rope --profile -", "option --profile: expected a file (stdout takes the benchmark table), found '-'")]
    [InlineData("check --cases nothing-like-this", "option --cases: expected texts that match a case name")]
    public void Bad_options_are_one_line_and_exit_2(string args, string expected)
    {
        // Given a bad option
        using var w = new Workdir();

        // When bench or check runs with it
        var o = w.Run($"pe-train {args}");

        // Then exit 2 and one line naming it
        Assert.Equal(2, o.ExitCode);
        Assert.Single(o.StderrLines);
        Assert.Contains(expected, o.Stderr);
    }

    [Fact]
    public void Check_on_cpu_passes_every_comparison_and_skips_the_sync_check()
    {
        // Given the fp32 RoPE case (and its partial-RoPE variant, whose name contains it)
        using var w = new Workdir();

        // When pe-train check runs on CPU
        var o = w.Run("pe-train check --cases rope/reference/mha/fp32 -q");

        // Then it exits 0 with 9 checks per case (forward and gradients for all and for the default fast paths) plus graph-dropout and the 91 run-time kernel rows (8 rotation, 20 LayerNorm (half passing the residual on), 18 bias (a third with 16-byte column sums, a third with the ReLU), 8 residual dropout, 26 attention, 11 tensor-core attention (bf16 only)), none failed, the
        // sync, graph, in-place gradient and kernel rows skipped (no CUDA)
        Assert.True(o.ExitCode == 0, o.Stderr);
        var rows = o.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(100 + 2 * 9 + 1, rows.Count);
        Assert.DoesNotContain(rows, r => r[5] == "fail");
        Assert.All(rows.Where(r => r[0] is "no-sync" or "graph-step" or "graph-dropout" or "inplace-grads" or "rope-kernel" or "ln-kernel" or "ln-residual" or "bias-kernel" or "bias-kernel-16B" or "linear-relu" or "attn-kernel" or "tc-attn-kernel" or "tc-attn-bias-kinds" or "residual-kernel"), r => Assert.Equal("skip", r[5]));
    }
}
