using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests;

/// <summary>Small models and the probes the tests share.</summary>
internal static class Tiny
{
    public const int Vocab = 20;
    public const int Heads = 4;
    public const int DModel = 32;
    public const int HeadDim = DModel / Heads;

    /// <summary>d_model 32, 4 heads, 2 layers, max_len 16: fast, and big enough for every invariant.</summary>
    public static TransformerConfig Config(
        string pe, Architecture arch = Architecture.Reference, AttentionKind attention = AttentionKind.Mha) =>
        new()
        {
            Vocab = Vocab,
            Classes = 7,
            DModel = DModel,
            DFF = 64,
            Heads = Heads,
            Layers = 2,
            MaxLen = 16,
            DCompress = 16,
            Pe = pe,
            Arch = arch,
            Attention = attention,
        };

    /// <summary>Every registry key, for [MemberData]: a new PE joins every shared test by its registry line alone.</summary>
    public static TheoryData<string> AllPes() => new(PositionalEncodings.Keys);

    public static TheoryData<string, Architecture> AllPesInBothArchitectures()
    {
        var data = new TheoryData<string, Architecture>();
        foreach (var key in PositionalEncodings.Keys)
        {
            data.Add(key, Architecture.Reference);
            data.Add(key, Architecture.Standard);
        }
        return data;
    }

    /// <summary>Random non-padding tokens (B, T), seeded.</summary>
    public static Tensor Tokens(long batch, long length, long seed)
    {
        var generator = new Generator((ulong)seed);
        return randint(1, Vocab, [batch, length], generator: generator, dtype: int64);
    }

    /// <summary>A built model in eval mode (dropout off) and float64, so equalities can be tight.</summary>
    public static Transformer Model(TransformerConfig config, bool float64 = true)
    {
        var model = new Transformer(config);
        model.eval();
        if (float64) model.to(ScalarType.Float64);
        return model;
    }

    /// <summary>Runs the model once and returns what each named hook point saw (copies, detached).</summary>
    public static Dictionary<string, Tensor> Capture(Transformer model, Tensor tokens, params string[] names)
    {
        var seen = new Dictionary<string, Tensor>();
        var removers = names.Select(name => model.Hook(name).register_forward_hook((_, _, output) =>
        {
            seen[name] = output.detach().clone();
            return output;
        })).ToList();
        try
        {
            using var _ = no_grad();
            model.call(tokens);
        }
        finally
        {
            foreach (var remover in removers) remover.remove();
        }
        return seen;
    }

    /// <summary>Largest |L[i+1, j+1] − L[i, j]| over the last two dims: 0 iff every (..., T, T) slice is Toeplitz.</summary>
    public static double ToeplitzGap(Tensor l)
    {
        long t = l.shape[^1];
        var shifted = l.narrow(-2, 1, t - 1).narrow(-1, 1, t - 1);
        var original = l.narrow(-2, 0, t - 1).narrow(-1, 0, t - 1);
        return (shifted - original).abs().max().to(float64).item<double>();
    }

    /// <summary>The smallest, over heads, of max − min of the head's (T, T) logits: > 0 iff every head sees position.</summary>
    public static double LeastHeadSpread(Tensor l)
    {
        var perHead = l.flatten(-2);                                      // (..., H, T·T)
        var spread = perHead.amax([-1]) - perHead.amin([-1]);             // (..., H)
        return spread.min().to(float64).item<double>();
    }

    /// <summary>Bit-for-bit equality of shape and values (TorchSharp's Tensor.equal is element-wise).</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().to(float64).item<double>();
}
