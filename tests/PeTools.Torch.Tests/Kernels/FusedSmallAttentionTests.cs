using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>small_attention.cu under the threaded CPU emulation (its blocks share K and V) against the composite
/// attention with the same ALiBi bias, mask and dropout bits, alone and inside whole ALiBi models.</summary>
public class FusedSmallAttentionTests
{
    public static TheoryData<string, bool> CasesAndDtypes() => KernelPathComparison.InBothDtypes(FusedSmallAttentionCheck.Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CasesAndDtypes))]
    public void Kernel_attention_and_its_three_gradients_equal_the_composite(string caseName, bool bf16)
    {
        // Given ALiBi slopes alone, with padding, with dropout, or at the longest length
        var c = FusedSmallAttentionCheck.Cases.Single(x => x.Name == caseName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the emulated kernels and the composite attend and back-propagate a random upstream gradient
        double difference = FusedSmallAttentionCheck.Compare(KernelEmulator.Instance, CPU, dtype, c);

        // Then z, dq, dk and dv agree to rounding
        Assert.True(difference <= FusedSmallAttentionCheck.Tolerance(dtype), $"{difference}");
    }

    public static TheoryData<string> TensorCoreCaseNames() => new(FusedSmallAttentionCheck.Cases.Where(c => c.TensorCores).Select(c => c.Name));

    [Theory]
    [MemberData(nameof(TensorCoreCaseNames))]
    public void Tensor_core_attention_and_its_three_gradients_equal_the_composite(string caseName)
    {
        // Given every case of the scalar kernels (ALiBi, padding, dropout, the longest length, no bias, a per-query mask,
        // the relative table), in bf16, and a launcher that counts which kernels ran
        var c = FusedSmallAttentionCheck.Cases.Single(x => x.Name == caseName);
        var counting = new CountingLauncher(KernelEmulator.Instance);

        // When the emulated tensor-core kernels (mma.sync fragments exchanged across the warp) and the composite attend
        double difference = FusedSmallAttentionCheck.Compare(counting, CPU, ScalarType.BFloat16, c, tensorCores: true);

        // Then z, dq, dk, dv (and the table's gradient) agree to bf16 rounding, and only the tensor-core kernels ran
        Assert.True(difference <= FusedSmallAttentionCheck.Tolerance(ScalarType.BFloat16), $"{difference}");
        Assert.Equal(2, counting.LaunchesOf("attention_mma_"));
        Assert.Equal(0, counting.LaunchesOf("small_attention_"));
    }

    public static TheoryData<string> OwnBiasLoopCaseNames() => new(FusedSmallAttentionCheck.Cases.Where(c => c.OwnBiasLoops).Select(c => c.Name));

    [Theory]
    [MemberData(nameof(OwnBiasLoopCaseNames))]
    public void Tensor_core_attention_with_its_own_alibi_or_table_loops_equals_the_composite_and_the_general_loops(string caseName)
    {
        // Given the reference architecture's ALiBi and relative cases (whole tiles, no mask, dropout), in bf16
        var c = FusedSmallAttentionCheck.Cases.Single(x => x.Name == caseName);

        // When the tensor-core kernels attend with their bias-specific score loops, and with the general ones
        double own = FusedSmallAttentionCheck.Compare(KernelEmulator.Instance, CPU, ScalarType.BFloat16, c, tensorCores: true, biasKinds: true);
        double general = FusedSmallAttentionCheck.Compare(KernelEmulator.Instance, CPU, ScalarType.BFloat16, c, tensorCores: true);

        // Then both agree with the composite to bf16 rounding, and with each other exactly (same values, same order)
        Assert.True(own <= FusedSmallAttentionCheck.Tolerance(ScalarType.BFloat16), $"{own}");
        Assert.Equal(general, own);
    }

    [Fact]
    public void Dropout_keeps_each_weight_with_probability_one_minus_p_and_a_new_seed_draws_new_bits()
    {
        // Given two seeds and p = 0.1 over 2 × 4 × 128 × 128 weights
        using var scope = NewDisposeScope();
        var a = FusedSmallAttention.KeepMask(1, 2, 4, 128, 128, 0.1).to(ScalarType.Float32);
        var b = FusedSmallAttention.KeepMask(2, 2, 4, 128, 128, 0.1).to(ScalarType.Float32);

        // Then each keeps 90% ± 4σ (σ ≈ 0.0009) and the two agree only as independent draws do (0.9² + 0.1² = 0.82)
        Assert.InRange(a.mean().item<float>(), 0.9 - 0.004, 0.9 + 0.004);
        Assert.InRange(a.eq(b).to(ScalarType.Float32).mean().item<float>(), 0.82 - 0.006, 0.82 + 0.006);

        // And the two keys of a pair, decided by the two halves of one hash, agree only as independent draws do too
        // (σ ≈ 0.0013 over 65,536 pairs); neighbouring pairs likewise
        var even = a.narrow(-1, 0, 64 * 2).view(2, 4, 128, 64, 2);
        Assert.InRange(even.select(-1, 0).eq(even.select(-1, 1)).to(ScalarType.Float32).mean().item<float>(), 0.82 - 0.006, 0.82 + 0.006);
        Assert.InRange(a.narrow(-1, 1, 126).eq(a.narrow(-1, 2, 126)).to(ScalarType.Float32).mean().item<float>(), 0.82 - 0.006, 0.82 + 0.006);
    }

    [Theory]
    [InlineData("alibi", Architecture.Reference)]
    [InlineData("alibi-std", Architecture.Standard)]
    [InlineData("nope", Architecture.Reference)]
    [InlineData("rope", Architecture.Standard)]
    [InlineData("relative", Architecture.Reference)]
    [InlineData("relative", Architecture.Standard)]
    public void A_model_on_the_attention_kernel_matches_the_fused_path_with_gradients(string pe, Architecture arch)
    {
        // Given one fp32 model with 16-dim heads, ALiBi (the bias inside the kernel), the relative PE (its table read
        // there, its gradient returned) or a PE without a logit bias
        // (Standard: padded sequences, so the key mask matters)
        using var scope = NewDisposeScope();
        var (model, launcher, tokens) = PaddedModel(pe, arch, seed: 10);

        // When it runs forward and backward with attention in the kernel and in libtorch (dropout off: eval)
        model.eval();
        // Then logits and every parameter gradient agree to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.AttentionInKernel = kernel);
        // And the kernel path did run the kernels: forward and backward in each of the two layers
        Assert.Equal(2, launcher.LaunchesOf("small_attention_fwd"));
        Assert.Equal(2, launcher.LaunchesOf("small_attention_bwd"));
    }

    [Theory]
    [InlineData(Architecture.Reference)]
    [InlineData(Architecture.Standard)]
    public void An_mla_model_on_the_attention_kernel_matches_the_concatenated_path_with_gradients(Architecture arch)
    {
        // Given one fp32 MLA model with RoPE on its shared rotary half (16-dim heads; Standard: padded sequences)
        using var scope = NewDisposeScope();
        var (model, launcher, tokens) = PaddedModel("rope", arch, seed: 13, AttentionKind.Mla);

        // When it runs forward and backward with the rotary logits as a mask with a gradient in the kernels and with the
        // halves concatenated in libtorch
        model.eval();
        // Then logits and every parameter gradient (the rotary projections' included) agree to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.AttentionInKernel = kernel);
        // And the kernel path ran the attention kernels, forward and backward in each of the two layers
        Assert.Equal(2, launcher.LaunchesOf("small_attention_fwd"));
        Assert.Equal(2, launcher.LaunchesOf("small_attention_bwd"));

        // And the fp32-only switch (a default fast path) takes MLA there too
        model.AttentionInKernel = false;
        model.Kernels.AttentionFp32 = true;
        using (no_grad()) model.call(tokens);
        Assert.Equal(4, launcher.LaunchesOf("small_attention_fwd"));
    }

    [Fact]
    public void The_fp32_only_switch_takes_fp32_attention_to_the_kernel_and_leaves_bf16_to_libtorch()
    {
        // Given a NoPE model whose attention kernel is wanted for fp32 only (FastPaths.AttentionKernelFp32)
        using var scope = NewDisposeScope();
        var config = Tiny.Config("nope") with { DModel = 32, Heads = 2 };
        var model = Tiny.Model(config, float64: false);
        var launcher = new CountingLauncher(KernelEmulator.Instance);
        model.KernelLauncher = launcher;
        model.Kernels.AttentionFp32 = true;
        var tokens = Tiny.Tokens(2, 16, seed: 11);

        // When it runs forward in fp32, then as a bf16 copy
        using (no_grad()) model.call(tokens);
        int fp32Launches = launcher.LaunchesOf("small_attention_fwd");
        model.to(ScalarType.BFloat16);
        using (no_grad()) model.call(tokens);

        // Then fp32 attention ran in the kernel (both layers), bf16 attention did not
        Assert.Equal(2, fp32Launches);
        Assert.Equal(2, launcher.LaunchesOf("small_attention_fwd"));
    }

    [Theory]
    [InlineData("nope", Architecture.Reference)]
    [InlineData("alibi", Architecture.Standard)]
    [InlineData("relative", Architecture.Reference)]
    public void A_bf16_model_on_the_tensor_cores_is_as_close_to_fp32_as_libtorchs_bf16_attention(string pe, Architecture arch)
    {
        // Given one model with 16-dim heads (Standard: padded sequences, so the key mask matters; relative: its table read
        // in the kernel and its gradient returned), its fp32 logits and gradients as the reference, then its bf16 copy
        using var scope = NewDisposeScope();
        var (model, launcher, tokens) = PaddedModel(pe, arch, seed: 12);
        (Tensor Logits, Tensor[] Grads) Run(bool cores)
        {
            model.Kernels.TensorCoreAttention = cores;
            model.zero_grad();
            var logits = model.call(tokens).to(ScalarType.Float32);
            logits.pow(2).sum().backward();
            return (logits.detach(), model.parameters().Select(p => p.grad!.to(ScalarType.Float32)).ToArray());
        }
        model.eval();
        var reference = Run(cores: false);
        model.to(ScalarType.BFloat16);

        // When the bf16 model runs forward and backward (dropout off) with the tensor cores, then with libtorch's attention
        var cores = Run(cores: true);
        var libtorch = Run(cores: false);

        // Then the tensor-core kernels ran forward and backward in both layers, and their logits and every gradient are
        // within bf16 reach of the fp32 reference: 3× libtorch's bf16 error, or 4% of the tensor's largest value plus 0.1%
        // of the largest gradient (a parameter whose true gradient is ~0 gets bf16 noise from both paths). The kernels
        // round P and dS to bf16 before their second products, as GPU attention kernels do, where libtorch's CPU path
        // keeps them in fp32: over random initialisations the logits differ by up to about 2.7% of their largest value.
        // A wrong index, mask or bias is off by order 1.
        Assert.Equal(2, launcher.LaunchesOf("attention_mma_fwd"));
        Assert.Equal(2, launcher.LaunchesOf("attention_mma_bwd"));
        var pairs = new[] { (cores.Logits, libtorch.Logits, reference.Logits) }
            .Concat(cores.Grads.Zip(libtorch.Grads, reference.Grads).Select(g => (g.First, g.Second, g.Third)));
        double largest = reference.Grads.Max(g => g.abs().max().item<float>());
        foreach (var (c, l, r) in pairs)
        {
            double scale = r.abs().max().item<float>(), ours = Tiny.MaxAbsDiff(c, r), theirs = Tiny.MaxAbsDiff(l, r);
            Assert.True(ours <= Math.Max(3 * theirs, 0.04 * scale + 1e-3 * largest), $"tensor cores {ours:G3}, libtorch bf16 {theirs:G3}, of {scale:G3}");
        }
    }

    /// <summary>An fp32 model with 16-dim heads (d_model 32, 2 heads; MLA: d_c 24), initialised from <paramref name="seed"/>,
    /// on a counting emulated launcher, and 3 sequences of 16 tokens right-padded to lengths 16, 11 and 6 (the padding
    /// matters in the Standard architecture).</summary>
    private static (PeTools.Torch.Model.Transformer Model, CountingLauncher Launcher, Tensor Tokens) PaddedModel(string pe, Architecture arch, long seed,
        AttentionKind attention = AttentionKind.Mha)
    {
        var config = Tiny.Config(pe, arch) with { DModel = 32, Heads = 2, Attention = attention, DCompress = 24 };
        manual_seed(seed);
        var model = Tiny.Model(config, float64: false);
        var launcher = new CountingLauncher(KernelEmulator.Instance);
        model.KernelLauncher = launcher;
        var lengths = tensor(new long[] { 16, 11, 6 }).unsqueeze(1);                                   // (B, 1)
        var tokens = Tiny.Tokens(3, 16, seed).masked_fill(arange(16).unsqueeze(0).ge(lengths), config.PadId);
        return (model, launcher, tokens);
    }
}
