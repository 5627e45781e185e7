using PeTools.Core.Errors;
using PeTools.Torch.Training;

namespace PeTools.Train.Commands;

/// <summary>
/// The named fast-path variants of <c>--fast-paths</c>, one table for <c>pe-train bench</c> (which times several) and
/// <c>pe-train</c> itself (which trains with one): <c>all</c> is what pe-train trains with, <c>none</c> every slow
/// oracle, <c>no-X</c> all but X, the rest all plus an opt-in path. Names joined by <c>+</c> combine: the first is the
/// base and each later one adds the paths it adds to <c>all</c> and removes those it removes
/// (<c>all+no-flat+no-vector-sums</c>, <c>none+attn-kernel</c>), so one bundle can
/// time and train any combination without a rebuild.
/// </summary>
internal static class FastPathVariants
{
    public static readonly IReadOnlyDictionary<string, FastPaths> ByName = new Dictionary<string, FastPaths>(StringComparer.Ordinal)
    {
        ["all"] = FastPaths.Default,
        ["none"] = FastPaths.None,
        ["no-flat"] = FastPaths.Default & ~FastPaths.Flat,
        ["no-fused-kv"] = FastPaths.Default & ~FastPaths.FusedMemoryProjections,
        ["no-fast-rope"] = FastPaths.Default & ~(FastPaths.FastRope | FastPaths.RopeKernel),
        ["no-rope-kernel"] = FastPaths.Default & ~FastPaths.RopeKernel,
        ["no-ln-kernel"] = FastPaths.Default & ~FastPaths.LayerNormKernel,
        ["no-bias-kernel"] = FastPaths.Default & ~FastPaths.BiasKernel,
        ["no-residual-kernel"] = FastPaths.Default & ~FastPaths.ResidualDropoutKernel,
        // The scalar attention kernels in bf16 too: without the tensor-core ones, which would take bf16 calls first.
        ["attn-kernel"] = (FastPaths.Default | FastPaths.AttentionKernel) & ~FastPaths.TensorCoreAttention,
        ["no-attn-kernel-fp32"] = FastPaths.Default & ~FastPaths.AttentionKernelFp32,
        ["relative-kernel"] = (FastPaths.Default | FastPaths.RelativeKernel) & ~FastPaths.TensorCoreAttention,
        ["no-inplace-grads"] = FastPaths.Default & ~FastPaths.ParameterGradientsInPlace,
        ["no-bias-kinds"] = FastPaths.Default & ~FastPaths.AttentionBiasKinds,
        ["no-vector-sums"] = FastPaths.Default & ~FastPaths.VectorColumnSums,
        ["no-norm-residual"] = FastPaths.Default & ~FastPaths.ResidualGradientInNorm,
        ["no-relu-epilogue"] = FastPaths.Default & ~FastPaths.ReluInProjection,
        // The defaults before 2026-12-05, when the five above joined them.
        ["defaults-2026-12-04"] = FastPaths.Default & ~(FastPaths.ParameterGradientsInPlace | FastPaths.AttentionBiasKinds
            | FastPaths.VectorColumnSums | FastPaths.ResidualGradientInNorm | FastPaths.ReluInProjection),
        ["tc-attn"] = FastPaths.Default | FastPaths.TensorCoreAttention,                  // the default since 2026-12-04
        ["no-tc-attn"] = FastPaths.Default & ~FastPaths.TensorCoreAttention,
        ["no-graph"] = FastPaths.Default & ~FastPaths.CudaGraph,
        ["cudnn-bias"] = FastPaths.Default | FastPaths.CudnnBiasAttention,
        ["no-explicit-bias"] = FastPaths.Default & ~FastPaths.LearnedBiasExplicit,
        ["explicit-const"] = FastPaths.Default | FastPaths.ConstantBiasExplicit,
        ["no-bias-4d"] = FastPaths.Default & ~FastPaths.BiasAsFourDims,
    };

    /// <summary>The fast paths of a variant name or of names joined by <c>+</c>; false when any part is unknown.</summary>
    public static bool TryParse(string name, out FastPaths paths)
    {
        paths = default;
        var parts = name.Split('+');
        if (!ByName.TryGetValue(parts[0], out var combined))
            return false;
        foreach (var part in parts.Skip(1))
        {
            if (!ByName.TryGetValue(part, out var other))
                return false;
            combined = (combined | (other & ~FastPaths.Default)) & ~(FastPaths.Default & ~other);
        }
        paths = combined;
        return true;
    }

    /// <summary><see cref="TryParse"/> or a usage error naming the option and the known names.</summary>
    public static FastPaths Parse(string name) => TryParse(name, out var paths) ? paths
        : throw UsageError.Option("--fast-paths", "one of " + string.Join(", ", ByName.Keys) + ", or several joined by +", name);
}
