using PeTools.Torch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Positional;

/// <summary>
/// ALiBi (Press et al. 2022): the logit bias −m_h·|i − j|, the same in every layer. Two slope schedules, two registry
/// keys: <c>alibi</c> is the reference's m_h = exp(−h/H), h = 0..H−1 (1.0 down to 0.39 for H = 16, far steeper than
/// the paper's); <c>alibi-std</c> is the ALiBi paper's geometric m_h = 2^(−8(h+1)/H).
/// The bias is symmetric, as the bidirectional reference needs. Under a causal mask only j ≤ i survives, where
/// −m·|i − j| = −m·(i − j) is exactly ALiBi's causal form, so one formula serves both.
/// </summary>
public sealed class AlibiBias : PositionalEncoding
{
    private readonly Tensor slopes; // (H) float32, non-persistent

    private AlibiBias(string name, IEnumerable<double> slopeValues) : base(name)
    {
        slopes = tensor(slopeValues.Select(s => (float)s).ToArray());
        register_buffer(nameof(slopes), slopes, persistent: false);
        RegisterComponents();
    }

    /// <summary>The reference's slopes exp(−h/H).</summary>
    public static AlibiBias Reference(TransformerConfig config) =>
        new("AlibiReference", ReferenceSlopes(config.Heads));

    /// <summary>The ALiBi paper's slopes 2^(−8(h+1)/H).</summary>
    public static AlibiBias Standard(TransformerConfig config) =>
        new("AlibiStandard", StandardSlopes(config.Heads));

    public static IEnumerable<double> ReferenceSlopes(int heads) =>
        Enumerable.Range(0, heads).Select(h => Math.Exp(-(double)h / heads));

    public static IEnumerable<double> StandardSlopes(int heads) =>
        Enumerable.Range(0, heads).Select(h => Math.Pow(2, -8.0 * (h + 1) / heads));

    public override Coupling Coupling => Coupling.Additive;

    /// <summary>The same in every layer and step: built once per (lengths, device) and handed out as an alias.</summary>
    public override Tensor? LogitBias(int layer, long queryLength, long keyLength, Device? device = null)
    {
        var m = Table(nameof(slopes), device ?? CPU);                                  // the moved buffer (see base class)
        var key = $"{queryLength}:{keyLength}:{m.device}";
        if (!_biases.TryGetValue(key, out var bias))
        {
            using var scope = NewDisposeScope();
            var distance = Offsets(queryLength, keyLength, m).abs().to(float32); // (Tq, Tk) = |i − j|
            _biases[key] = bias = m.view(-1, 1, 1).mul(distance).neg().DetachFromDisposeScope(); // (H, Tq, Tk)
        }
        return bias.alias();
    }

    /// <summary>The slopes of the bias above: it is −m_h·|i − j| exactly.</summary>
    public override Tensor? DistanceSlopes(int layer, Device device) => Table(nameof(slopes), device);

    private readonly Dictionary<string, Tensor> _biases = new(StringComparer.Ordinal);
}
