using System.Globalization;
using PeTools.Core.Errors;
using PeTools.Torch.Model;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace PeTools.Torch.Curvature;

/// <summary>One block of a scope's coordinates: a named parameter, or its slice [Index] along dim 0.</summary>
public sealed record ScopePart(string Name, Parameter Parameter, long? Index)
{
    /// <summary>The state-dict key, with <c>[index]</c> for a slice: <c>pe.tables[1]</c>.</summary>
    public string Label => Index is { } i ? $"{Name}[{i.ToString(CultureInfo.InvariantCulture)}]" : Name;

    public long[] Shape => Index is null ? Parameter.shape : Parameter.shape[1..];

    public long Size => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>This part of a tensor shaped like the whole parameter (its gradient, say): the tensor or its slice.</summary>
    public Tensor Of(Tensor whole) => Index is { } i ? whole[i] : whole;
}

/// <summary>
/// The parameters a curvature is taken over, as one flat vector θ_S (the Hessian is ∂²L/∂θ_S², the other parameters
/// held fixed): <c>model</c> (every parameter), <c>pe</c> (the PE's own), <c>layer:L</c> (block L: LayerNorms,
/// attention, FFN) or <c>layer:L:attn</c> (block L's attention projections: Q/K/V/O, or MLA's down/up/rotary ones);
/// both layer scopes add the PE parameters that layer L alone uses (<see cref="Positional.PositionalEncoding.LayerParameters"/>,
/// e.g. the relative PE's table B_L), when the PE is active there. Flat order: the parts in state-dict order.
/// </summary>
public sealed class CurvatureScope
{
    public const string ModelKey = "model";
    public const string PeKey = "pe";
    public const string LayerPrefix = "layer:";
    public const string AttentionSuffix = ":attn";
    public const string Expected = "model, pe, layer:L or layer:L:attn";

    private CurvatureScope(string key, IReadOnlyList<ScopePart> parts)
    {
        Key = key;
        Parts = parts;
        Parameters = parts.Select(p => p.Parameter).DistinctBy(p => p.Handle).ToList();
        Dimension = parts.Sum(p => p.Size);
    }

    public string Key { get; }
    public IReadOnlyList<ScopePart> Parts { get; }

    /// <summary>The distinct parameters behind the parts: what autograd differentiates with respect to.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>n, the number of coordinates: the Hessian is n × n.</summary>
    public long Dimension { get; }

    /// <summary>The scope named <paramref name="key"/> in <paramref name="model"/>; a <see cref="UsageError"/> on --scope otherwise.</summary>
    public static CurvatureScope Parse(string key, Transformer model)
    {
        var named = model.named_parameters().ToList();
        List<ScopePart> Prefixed(string prefix) =>
            named.Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).Select(p => new ScopePart(p.name, p.parameter, null)).ToList();

        if (key == ModelKey) return new CurvatureScope(key, Prefixed(""));
        if (key == PeKey)
        {
            var pe = Prefixed(PeKey + ".");
            return pe.Count > 0
                ? new CurvatureScope(key, pe)
                : throw UsageError.Option("--scope", $"{Expected} (the PE {model.Config.Pe} has no parameters, so not pe)", key);
        }
        if (!key.StartsWith(LayerPrefix, StringComparison.Ordinal)) throw UsageError.Option("--scope", Expected, key);
        var rest = key[LayerPrefix.Length..];
        bool attention = rest.EndsWith(AttentionSuffix, StringComparison.Ordinal);
        if (attention) rest = rest[..^AttentionSuffix.Length];
        int layers = model.Config.Layers;
        if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out int layer) || layer >= layers)
            throw UsageError.Option("--scope", $"{Expected} with L in 0..{layers - 1}", key);

        var parts = Prefixed(attention ? $"blocks.{layer}.attn." : $"blocks.{layer}.");
        if (model.Config.PeActiveIn(layer))
            foreach (var (parameter, index) in model.PositionalEncoding.LayerParameters(layer))
            {
                var name = named.Single(p => p.parameter.Handle == parameter.Handle).name;
                parts.Add(new ScopePart(name, parameter, index));
            }
        return new CurvatureScope(key, parts);
    }

    /// <summary>One flat (n) vector from tensors aligned with <see cref="Parameters"/>; an undefined one (unused) counts as 0.</summary>
    public Tensor Flatten(IList<Tensor> perParameter)
    {
        using var scope = NewDisposeScope();
        var like = Parameters[0];
        var pieces = Parts.Select(part =>
        {
            var whole = perParameter[IndexOf(part.Parameter)];
            return whole.IsInvalid
                ? zeros(part.Size, dtype: like.dtype, device: like.device)
                : part.Of(whole).reshape(-1);
        }).ToArray();
        return cat(pieces, 0).MoveToOuterDisposeScope();                 // (n)
    }

    /// <summary>Σ over parts of ⟨part of perParameter, part of flat⟩, a scalar that keeps the graph of perParameter.</summary>
    public Tensor Dot(IList<Tensor> perParameter, Tensor flat)
    {
        Tensor? sum = null;
        long offset = 0;
        foreach (var part in Parts)
        {
            var whole = perParameter[IndexOf(part.Parameter)];
            if (!whole.IsInvalid)
            {
                var term = part.Of(whole).reshape(-1).dot(flat.narrow(0, offset, part.Size));
                sum = sum is null ? term : sum + term;
            }
            offset += part.Size;
        }
        return sum ?? zeros([], dtype: flat.dtype, device: flat.device);
    }

    private int IndexOf(Parameter p)
    {
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].Handle == p.Handle) return i;
        throw new InvalidOperationException($"parameter not in scope {Key}");
    }
}
