using PeTools.Torch.Curvature;
using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Curvature;

/// <summary>
/// One libtorch thread while a curvature test runs, the previous count after: thousands of tiny ops gain nothing from
/// threads, and on a shared machine spinning OpenMP threads made these tests 20× slower.
/// </summary>
public class OneThread : IDisposable
{
    private readonly int previous = get_num_threads();

    public OneThread() => set_num_threads(1);

    public void Dispose()
    {
        set_num_threads(previous);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Very small float64 models and fixed batches for the curvature tests (dense Hessians of ~600 coordinates).</summary>
internal static class Small
{
    public static TransformerConfig Config(string pe, Architecture arch = Architecture.Reference,
        AttentionKind attention = AttentionKind.Mha, int layers = 1) => new()
        {
            Vocab = 10,
            Classes = 4,
            DModel = 8,
            DFF = 8,
            Heads = 2,
            Layers = layers,
            MaxLen = 8,
            DCompress = 4,
            Pe = pe,
            Arch = arch,
            Attention = attention,
        };

    /// <summary>A seeded float64 model, in train mode (dropout 0.1 on): the HVP must switch it off by itself.</summary>
    public static Transformer Model(TransformerConfig config, long seed = 5)
    {
        manual_seed(seed);
        var model = new Transformer(config);
        model.to(ScalarType.Float64);
        model.train();
        return model;
    }

    /// <summary>Two seeded batches of random tokens (no padding) and targets, class 0 among them (ignored by the loss).</summary>
    public static List<LossBatch> Batches(TransformerConfig config, long seed = 11, int rows = 6, int length = 8)
    {
        var generator = new Generator((ulong)seed);
        return Enumerable.Range(0, 2).Select(_ => new LossBatch(
            randint(1, config.Vocab, [rows, length], generator: generator, dtype: int64),
            randint(0, config.Classes, [rows], generator: generator, dtype: int64))).ToList();
    }

    /// <summary>The dense Hessian, column j = H e_j, from n HVPs (symmetrised; the asymmetry is returned too).</summary>
    public static (double[,] H, double Asymmetry) Dense(HessianVectorProduct h)
    {
        int n = (int)h.Dimension;
        var dense = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            using var scope = NewDisposeScope();
            var e = zeros(n, dtype: float64);
            e[j] = 1.0;
            var column = h.Apply(e).data<double>().ToArray();
            for (int i = 0; i < n; i++) dense[i, j] = column[i];
        }
        double asymmetry = 0, scale = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                asymmetry = Math.Max(asymmetry, Math.Abs(dense[i, j] - dense[j, i]));
                scale = Math.Max(scale, Math.Abs(dense[i, j]));
            }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) dense[i, j] = dense[j, i] = 0.5 * (dense[i, j] + dense[j, i]);
        return (dense, asymmetry / scale);
    }
}
