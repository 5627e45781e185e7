using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeTools.Torch.Training;

/// <summary>
/// A model's parameters as views of one flat buffer, and their gradients as views of one flat gradient buffer, so that
/// zeroing, clipping, the optimizer and the bf16 copy each run a handful of kernels over the whole model instead of a
/// few per parameter tensor (about 100 tensors in the paper's model).
/// <para>How: each parameter is re-pointed with <c>set_</c> at its slice of <see cref="Data"/> (values copied first), and
/// its <c>.grad</c> is set to its slice of <see cref="Grad"/>. Autograd then accumulates into that view in place
/// (AccumulateGrad adds into a defined gradient when grad mode is off, as it is in backward), so the flat buffer holds
/// every gradient after <c>backward()</c> with no copy. Build it after <c>Module.to(device/dtype)</c>, which replaces
/// parameter tensors; <c>copy_</c> into parameters (checkpoint loading) keeps the views.</para>
/// <para>Which parameters have a gradient is learnt from autograd, as a per-tensor optimizer sees it: a parameter's
/// gradient is adopted into the flat buffer the first time backward gives it one (<see cref="AdoptGradients"/>), and
/// until then it is inactive and <see cref="ActiveRuns"/> leaves it out, so the optimizer skips it as one skips a
/// parameter whose <c>.grad</c> is null. Segments start at multiples of <see cref="Alignment"/> elements; the gaps are
/// zeros in every buffer and stay zero under AdamW (zero gradient, zero moments).</para>
/// </summary>
public sealed class FlatParameters : IDisposable
{
    /// <summary>Every segment starts at a multiple of this many elements (256 bytes in fp32): aligned for vector loads and cuBLAS.</summary>
    public const long Alignment = 64;

    private readonly Parameter[] _params;
    private readonly bool[] _active;
    private (long Offset, long Length)[] _runs = [];

    /// <summary>One parameter's place in the flat buffers.</summary>
    public sealed record Segment(string Name, long Offset, long Count, long[] Shape);

    public FlatParameters(IEnumerable<(string Name, Parameter P)> parameters)
    {
        var named = parameters.ToArray();
        if (named.Length == 0) throw new ArgumentException("a model with no parameters has nothing to flatten", nameof(parameters));
        var (dtype, device) = (named[0].P.dtype, named[0].P.device);
        if (named.Any(p => p.P.dtype != dtype || p.P.device_type != device.type || p.P.device_index != device.index))
            throw new ArgumentException("every parameter must share one dtype and device", nameof(parameters));
        _params = named.Select(p => p.P).ToArray();
        _active = new bool[named.Length];
        var segments = new Segment[named.Length];
        long offset = 0;
        for (int i = 0; i < named.Length; i++)
        {
            segments[i] = new Segment(named[i].Name, offset, named[i].P.numel(), named[i].P.shape);
            offset += (segments[i].Count + Alignment - 1) / Alignment * Alignment;
        }
        Segments = segments;
        Length = offset;
        Data = zeros(offset, dtype: dtype, device: device).DetachFromDisposeScope();
        Grad = zeros(offset, dtype: dtype, device: device).DetachFromDisposeScope();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            var view = ViewOf(Data, i);
            view.copy_(_params[i]);
            _params[i].set_(view); // the parameter now lives in Data (same TensorImpl: modules see it)
        }
        AdoptGradients();
    }

    /// <summary>All parameters, flat (N); N counts the alignment gaps.</summary>
    public Tensor Data { get; }

    /// <summary>All gradients, flat (N); an inactive parameter's slice is zero.</summary>
    public Tensor Grad { get; }

    public long Length { get; }
    public IReadOnlyList<Segment> Segments { get; }
    public ScalarType DType => Data.dtype;

    /// <summary>True when parameter i (in construction order) has had a gradient.</summary>
    public bool IsActive(int i) => _active[i];

    /// <summary>Maximal contiguous (offset, length) ranges of active parameters (gaps between two active ones included).</summary>
    public IReadOnlyList<(long Offset, long Length)> ActiveRuns => _runs;

    /// <summary>Parameter i's slice of a flat tensor laid out as <see cref="Data"/>, shaped as the parameter (a view).</summary>
    public Tensor ViewOf(Tensor flat, int i) => flat.narrow(0, Segments[i].Offset, Segments[i].Count).view(Segments[i].Shape);

    /// <summary>Named views of a flat tensor laid out as <see cref="Data"/> (for checkpoints of flat optimizer state).</summary>
    public Dictionary<string, Tensor> NamedViews(Tensor flat)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Segments.Count; i++) d[Segments[i].Name] = ViewOf(flat, i).DetachFromDisposeScope();
        return d;
    }

    public void ZeroGrad() => Grad.zero_();

    /// <summary>
    /// Moves into the flat buffer every gradient that autograd allocated itself (a parameter's first one), then points
    /// the parameter's <c>.grad</c> at its slice. Call after each backward: after the first, a static graph leaves
    /// nothing to do but look at the inactive parameters (none in most models).
    /// </summary>
    public void AdoptGradients()
    {
        bool changed = false;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _params.Length; i++)
        {
            if (_active[i]) continue;
            var g = _params[i].grad;
            if (g is null) continue;
            var view = ViewOf(Grad, i);
            view.copy_(g);
            _params[i].grad = view;
            _active[i] = changed = true;
        }
        if (changed) _runs = Runs(Enumerable.Range(0, _params.Length).Where(i => _active[i]));
    }

    /// <summary>Marks the parameters active in <paramref name="other"/> (same layout) active here (bf16: the compute copy decides).</summary>
    public void ActivateLike(FlatParameters other)
    {
        bool changed = false;
        for (int i = 0; i < _params.Length; i++)
            if (other._active[i] && !_active[i]) _active[i] = changed = true;
        if (changed) _runs = Runs(Enumerable.Range(0, _params.Length).Where(i => _active[i]));
    }

    /// <summary>True when <paramref name="other"/> has the same names, shapes and offsets (a bf16 copy of this model).</summary>
    public bool SameLayout(FlatParameters other) => Length == other.Length && Segments.Count == other.Segments.Count &&
        Segments.Zip(other.Segments).All(p => p.First.Name == p.Second.Name && p.First.Offset == p.Second.Offset &&
                                              p.First.Shape.SequenceEqual(p.Second.Shape));

    private (long, long)[] Runs(IEnumerable<int> active)
    {
        var runs = new List<(long Offset, long Length)>();
        int previous = -2;
        foreach (var i in active)
        {
            var s = Segments[i];
            if (i == previous + 1 && runs.Count > 0) runs[^1] = (runs[^1].Offset, s.Offset + s.Count - runs[^1].Offset);
            else runs.Add((s.Offset, s.Count));
            previous = i;
        }
        return [.. runs];
    }

    public void Dispose()
    {
        Data.Dispose();
        Grad.Dispose();
    }
}
