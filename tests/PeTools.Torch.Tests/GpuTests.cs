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
}
