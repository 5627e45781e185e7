using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using PeTools.Torch.Testing;
using TorchSharp;
using static TorchSharp.torch;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Tests.Kernels;

/// <summary>
/// rotation.cu, the source NVRTC compiles on a GPU, run on the CPU under g++ emulation: the kernel against its oracle
/// (RotationTables.Apply) in every layout the model hands it, its bf16 rounding against libtorch's, and the rotary
/// PEs' kernel path inside a whole model.
/// </summary>
public class FusedRotationTests
{
    public static TheoryData<string, bool> LayoutsAndDtypes() => KernelPathComparison.InBothDtypes(FusedRotationCheck.Layouts.Select(l => l.Name));

    [Theory]
    [MemberData(nameof(LayoutsAndDtypes))]
    public void Kernel_rotation_and_its_gradient_equal_the_tables_oracle(string layoutName, bool bf16)
    {
        // Given strided inputs as the model makes them (transposed, sliced from a wider GEMM output, partial heads/dims)
        var layout = FusedRotationCheck.Layouts.Single(l => l.Name == layoutName);
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

        // When the emulated kernel and the oracle rotate them and back-propagate a random upstream gradient
        var (forward, gradient) = FusedRotationCheck.Compare(KernelEmulator.Instance, CPU, dtype, layout);

        // Then both agree to rounding (the check's own tolerance, which a wrong pair or sign exceeds by far)
        Assert.True(forward <= FusedRotationCheck.Tolerance(dtype), $"forward {forward}");
        Assert.True(gradient <= FusedRotationCheck.Tolerance(dtype), $"gradient {gradient}");
    }

    [Theory]
    [MemberData(nameof(LayoutsAndDtypes))]
    public void Aligned_layouts_take_the_16_byte_kernel_and_misaligned_ones_the_pair_kernel(string layoutName, bool bf16)
    {
        // Given a launcher that counts the launches of each form of the rotation kernel
        var layout = FusedRotationCheck.Layouts.Single(l => l.Name == layoutName);
        var counting = new CountingLauncher(KernelEmulator.Instance);

        // When the check rotates x in this layout and back-propagates
        FusedRotationCheck.Compare(counting, CPU, bf16 ? ScalarType.BFloat16 : ScalarType.Float32, layout);

        // Then a misaligned x goes to the pair-per-thread kernel, and an aligned one never does
        int wide = counting.LaunchesOf(FusedRotation.WideStem + "_"), pairs = counting.LaunchesOf("rotate_pairs_");
        if (layout.Misaligned) Assert.True(pairs > 0, $"pair kernel launches: {pairs}");
        else Assert.True(pairs == 0 && wide == 2, $"pair kernel launches {pairs}, 16-byte kernel launches {wide}");
    }

    [Fact]
    public void A_wrong_table_is_caught_by_the_check()
    {
        // Given the oracle's tables for one length, and x that is rotated with the tables of ANOTHER set of angles
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var x = randn([2, 3, 6, 8], generator: g);                                   // (B, H, T, dh)
        var angles = randn([6, 4], generator: g, dtype: float64);
        var right = RotationTables.Build(angles.cos().to(float32), angles.sin().to(float32), 3, 3, 8);
        var wrong = RotationTables.Build(angles.sin().to(float32), angles.cos().to(float32), 3, 3, 8);

        // When the kernel uses the wrong tables
        var fused = FusedRotation.Apply(x, wrong, KernelEmulator.Instance);

        // Then it differs from the oracle by order 1 (the tolerance is far below what a mistake gives)
        Assert.True(Tiny.MaxAbsDiff(fused, RotationTables.Apply(x, right)) > 0.1);
    }

    [Fact]
    public void Bf16_results_round_exactly_as_libtorch_rounds_them()
    {
        // Given bf16 inputs whose fp32 products are exact (8-bit by 8-bit mantissas), with S = 0 so out = x·C, and
        // three IEEE specials in the first two pairs
        using var scope = NewDisposeScope();
        var g = new Generator(9);
        var xf = randn([1, 1, 64, 16], generator: g).mul(100);                                // (B, H, T, dh)
        xf[0, 0, 0, 0] = tensor(float.NaN);
        xf[0, 0, 0, 1] = tensor(float.PositiveInfinity);
        xf[0, 0, 0, 2] = tensor(float.NegativeInfinity);
        var x = xf.to(ScalarType.BFloat16);
        var c = rand([64, 16], generator: g).mul(3).add(0.01).to(ScalarType.BFloat16);      // (T, dh)
        var s = zeros([64, 16], dtype: ScalarType.BFloat16);

        // When the kernel multiplies in fp32 and stores bf16
        var fused = FusedRotation.Apply(x, (c, s), KernelEmulator.Instance).to(float32).flatten();          // (B·H·T·dh)

        // Then every value equals libtorch's rounding of the oracle's fp32 result, which is exact here (x·C of bf16 values,
        // plus swap(x)·0): equal values are equal bit patterns (bf16 → fp32 is exact). IEEE specials propagate as in the
        // oracle: NaN·0 and ∞·0 make the pair's partner NaN, ∞·c stays infinite.
        var expected = RotationTables.Apply(x.to(float32), (c.to(float32), s.to(float32)))
            .to(ScalarType.BFloat16).to(float32).flatten();
        Assert.True(fused.isnan().eq(expected.isnan()).all().item<bool>(), "NaN positions differ");
        Assert.Equal(3, fused.isnan().sum().item<long>());       // x_0 = NaN, its partner x_1 = ∞, and x_3 (partner of −∞)
        var finite = expected.isnan().logical_not();
        Assert.True(fused.masked_select(finite).eq(expected.masked_select(finite)).all().item<bool>(), "a bf16 value rounds differently");
        Assert.Equal(float.NegativeInfinity, fused[2].item<float>());
    }

    public static TheoryData<string, double, int?, Architecture, AttentionKind> Models() => new()
    {
        { "rope", 1.0, null, Architecture.Reference, AttentionKind.Mha },
        { "rope", 0.5, 2, Architecture.Reference, AttentionKind.Mha },
        { "xpos", 1.0, null, Architecture.Standard, AttentionKind.Mha },
        { "rope-abs", 1.0, null, Architecture.Standard, AttentionKind.Mha },
        { "rope", 1.0, null, Architecture.Reference, AttentionKind.Mla },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void A_rotary_model_on_the_kernel_path_matches_the_tables_path_with_gradients(
        string pe, double fraction, int? heads, Architecture arch, AttentionKind attention)
    {
        // Given one fp32 rotary model (fused K/V projections on: keys are slices of one GEMM output)
        using var scope = NewDisposeScope();
        var config = Tiny.Config(pe) with { Arch = arch, Attention = attention, PeOptions = new PeOptions(RotaryFraction: fraction, RopeHeads: heads) };
        var model = Tiny.Model(config, float64: false);
        model.KernelLauncher = KernelEmulator.Instance;
        var tokens = Tiny.Tokens(3, config.MaxLen, seed: 4);

        // When it runs forward and backward on the kernel path and on the tables path
        // Then logits and every parameter gradient agree to fp32 rounding
        KernelPathComparison.AssertKernelPathMatchesOracle(model, tokens, kernel => model.RotateInKernel = kernel);
    }

    [Fact]
    public void The_composite_attention_path_turns_the_kernel_off_and_restores_it()
    {
        // Given a rotary model on the kernel path
        using var model = Tiny.Model(Tiny.Config("rope"), float64: false);
        Assert.True(model.RotateInKernel);

        // When the Hessian code asks for the twice-differentiable composite path, then gives it back
        using (model.UseAttentionPath(AttentionPath.Composite)) Assert.False(model.RotateInKernel);

        // Then the kernel path is on again
        Assert.True(model.RotateInKernel);
    }

    [Fact]
    public void Every_kernel_of_the_embedded_sources_is_found_by_name()
    {
        // Given the sources NVRTC compiles
        var names = CudaKernels.Sources().SelectMany(s => CudaKernels.KernelNames(s.Source)).ToList();

        // Then the rotation kernels are among them, and those declared with a register budget (__launch_bounds__) by
        // their own names, each once
        Assert.Contains("rotate_pairs_f32", names);
        Assert.Contains("rotate_pairs_bf16", names);
        Assert.Contains("attention_mma_bwd_bf16", names);
        Assert.Contains("attention_mma_fwd_bf16", names);
        Assert.DoesNotContain("__launch_bounds__", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
