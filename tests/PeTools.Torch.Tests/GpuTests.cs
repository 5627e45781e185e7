using PeTools.Torch.Curvature;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests;

/// <summary>CUDA checks, run by `make test-gpu` on a machine with a CUDA libtorch (excluded from `make test`).</summary>
[Trait("Category", "GPU")]
public class GpuTests
{
    public static TheoryData<string> Pes => [.. PositionalEncodings.Keys];

    [Theory]
    [MemberData(nameof(Pes))]
    public void Every_pe_trains_a_step_on_cuda_and_matches_its_cpu_forward(string pe)
    {
        // Given the same small model on CPU and on CUDA
        using var scope = NewDisposeScope();
        var config = new TransformerConfig { Pe = pe, Vocab = 50, Classes = 10, DModel = 32, DFF = 64, Heads = 4, Layers = 2, MaxLen = 16, Dropout = 0 };
        manual_seed(1);
        using var cpuModel = new Transformer(config);
        using var gpuModel = new Transformer(config);
        gpuModel.load_state_dict(cpuModel.state_dict());
        gpuModel.to(CUDA);
        var tokens = randint(1, 50, [3, 16], dtype: ScalarType.Int64);

        // When both run forward (and CUDA a backward)
        cpuModel.eval();
        gpuModel.eval();
        var cpuLogits = cpuModel.call(tokens);
        var gpuLogits = gpuModel.call(tokens.cuda());
        gpuModel.train();
        gpuModel.call(tokens.cuda()).sum().backward();

        // Then CUDA agrees with CPU (TF32 off by default in libtorch) and every gradient is finite
        Assert.True(gpuLogits.cpu().allclose(cpuLogits, rtol: 1e-4, atol: 1e-4), $"{pe}: CUDA logits differ from CPU");
        Assert.All(gpuModel.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Every_fast_path_matches_its_oracle_on_cuda_and_a_training_step_never_syncs()
    {
        // Given every case of pe-train check (fp32 and bf16, both architectures, MLA, partial RoPE, causal)
        // When each fast path is compared with its oracle on CUDA
        var rows = FastPathCheck.Run(CUDA, FastPathCheck.DefaultCases).ToList();

        // Then nothing fails, and the sync check ran (its switch works with this libtorch) and passed
        Assert.All(rows, r => Assert.True(r.Status != FastPathCheck.Fail, $"{r.Check} {r.Case}: {r.Difference} > {r.Tolerance}; {r.Note}"));
        Assert.All(rows.Where(r => r.Check == "no-sync"), r => Assert.True(r.Status == FastPathCheck.Pass, r.Note));
    }

    public static TheoryData<string, Architecture, AttentionKind> HessianModels() => new()
    {
        { "rope", Architecture.Reference, AttentionKind.Mha },
        { "alibi", Architecture.Standard, AttentionKind.Mha },
        { "relative", Architecture.Reference, AttentionKind.Mha },
        { "rope", Architecture.Standard, AttentionKind.Mla },
    };

    [Theory]
    [MemberData(nameof(HessianModels))]
    public void Hessian_vector_products_and_lanczos_on_cuda_match_cpu(string pe, Architecture arch, AttentionKind attention)
    {
        // Given the same float64 model and batches on CPU and CUDA (double backward through composite attention)
        using var scope = NewDisposeScope();
        var config = new TransformerConfig { Pe = pe, Arch = arch, Attention = attention, Vocab = 50, Classes = 10, DModel = 32, DFF = 64, Heads = 4, Layers = 2, MaxLen = 16, DCompress = 16 };
        manual_seed(2);
        using var cpuModel = new Transformer(config);
        using var gpuModel = new Transformer(config);
        gpuModel.load_state_dict(cpuModel.state_dict());
        cpuModel.to(ScalarType.Float64);
        gpuModel.to(ScalarType.Float64).to(CUDA);
        var generator = new Generator(3);
        var tokens = randint(1, 50, [2, 8, 16], generator: generator, dtype: ScalarType.Int64);
        var targets = randint(0, 10, [2, 8], generator: generator, dtype: ScalarType.Int64);
        List<LossBatch> Batches(Device d) => [.. Enumerable.Range(0, 2).Select(i => new LossBatch(tokens[i].to(d), targets[i].to(d)))];
        var cpu = new HessianVectorProduct(cpuModel, CurvatureScope.Parse("model", cpuModel), Batches(CPU), 0);
        var gpu = new HessianVectorProduct(gpuModel, CurvatureScope.Parse("model", gpuModel), Batches(CUDA), 0);

        // When Hv, the top eigenvalues and the trace are computed on both
        var v = randn([cpu.Dimension], dtype: ScalarType.Float64, generator: generator);
        var hvCpu = cpu.Apply(v);
        var hvGpu = gpu.Apply(v.cuda()).cpu();
        var topCpu = HessianSpectrum.Top(cpu, 3, 60, 1e-10, seed: 4);
        var topGpu = HessianSpectrum.Top(gpu, 3, 60, 1e-10, seed: 4);
        var traceCpu = HessianSpectrum.HutchinsonTrace(cpu, 4, seed: 5);
        var traceGpu = HessianSpectrum.HutchinsonTrace(gpu, 4, seed: 5);

        // Then CUDA agrees with CPU (the same seeded vectors on both) to float64 rounding
        Assert.True((hvCpu - hvGpu).norm().item<double>() <= 1e-10 * hvCpu.norm().item<double>(), $"{pe}: Hv differs");
        for (int i = 0; i < 3; i++)
            Assert.True(Math.Abs(topCpu.Values[i] - topGpu.Values[i]) <= 1e-8 * Math.Abs(topCpu.Values[0]), $"{pe}: λ{i} {topCpu.Values[i]} vs {topGpu.Values[i]}");
        Assert.True(Math.Abs(traceCpu.Mean - traceGpu.Mean) <= 1e-8 * Math.Abs(traceCpu.Mean) + 1e-12, $"{pe}: trace differs");
    }
}
