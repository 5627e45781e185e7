using PeTools.Torch.Model;
using PeTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Heads.Tests;

/// <summary>
/// Hand-built models whose answer is known. <see cref="Model"/> plants all of the classifier's information in one
/// head: embeddings live in the first half of d_model, the planted head writes only to the second half, the classifier
/// reads only the second half, and every other head's W_O columns, every FFN output and layer 1's W_O are zero. So
/// ablating that head leaves the classifier its bias alone, and ablating any other head changes nothing, exactly.
/// </summary>
internal static class Planted
{
    public const int Heads = 4, DModel = 16, Length = 8, Classes = 7, Vocab = 20;

    public static TransformerConfig Config(string pe = "rope", Architecture arch = Architecture.Reference) => new()
    {
        Vocab = Vocab,
        Classes = Classes,
        DModel = DModel,
        DFF = 16,
        Heads = Heads,
        Layers = 2,
        MaxLen = Length,
        Dropout = 0,
        Pe = pe,
        Arch = arch,
    };

    /// <summary>A float32 model in eval mode with everything the classifier sees coming from <paramref name="head"/> of layer 0.</summary>
    public static Transformer Model(int head, long seed = 1)
    {
        manual_seed(seed);
        var model = new Transformer(Config());
        model.eval();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        int half = DModel / 2, dh = DModel / Heads;
        using var _ = no_grad();
        p["embedding.weight"].narrow(1, half, half).zero_();                    // tokens: first half only
        var o0 = p["blocks.0.attn.o_proj.weight"];                              // (D out, H·dh in)
        for (int h = 0; h < Heads; h++)
            if (h != head) o0.narrow(1, h * dh, dh).zero_();                     // other heads write nothing
        o0.narrow(0, 0, half).zero_();                                          // the planted head writes the second half
        p["blocks.0.attn.o_proj.bias"].zero_();
        p["blocks.0.attn.v_proj.bias"].zero_();                                 // no constant offset: varied predictions
        p["blocks.1.attn.o_proj.weight"].zero_();
        p["blocks.1.attn.o_proj.bias"].zero_();
        foreach (var l in new[] { 0, 1 })
        {
            p[$"blocks.{l}.ffn.fc2.weight"].zero_();
            p[$"blocks.{l}.ffn.fc2.bias"].zero_();
        }
        p["classifier.weight"].narrow(1, 0, half).zero_();                      // reads the second half only
        p["classifier.weight"].mul_(10);
        p["classifier.bias"].zero_();
        return model;
    }

    /// <summary>Random full-length rows (no padding) labelled with <paramref name="teacher"/>'s own predictions.</summary>
    public static SplitTensors LabelledBy(Transformer teacher, int rows = 300, long seed = 2)
    {
        var tokens = randint(1, Vocab, [rows, Length], generator: new Generator((ulong)seed), dtype: ScalarType.Int64);
        using var _ = no_grad();
        var targets = teacher.call(tokens).argmax(-1);
        return new SplitTensors("all", tokens.DetachFromDisposeScope(), targets.DetachFromDisposeScope(), Length);
    }

    /// <summary>Random rows with random targets, for comparing losses.</summary>
    public static SplitTensors Random(int rows = 64, long seed = 3)
    {
        var g = new Generator((ulong)seed);
        var tokens = randint(1, Vocab, [rows, Length], generator: g, dtype: ScalarType.Int64);
        var targets = randint(0, Classes, [rows], generator: g, dtype: ScalarType.Int64);
        return new SplitTensors("all", tokens, targets, Length);
    }

    /// <summary>A model with random weights (dropout off, eval mode).</summary>
    public static Transformer RandomModel(TransformerConfig config, long seed = 4)
    {
        manual_seed(seed);
        var model = new Transformer(config);
        model.eval();
        return model;
    }

    public static Tensor Param(Transformer model, string name) =>
        model.named_parameters().Single(x => x.name == name).parameter;
}
