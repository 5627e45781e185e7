using PeTools.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace PeTools.Torch.Curvature;

/// <summary>
/// The k largest eigenvalues (descending) with Lanczos residual bounds: each value is within its residual of a true
/// eigenvalue. Also the smallest eigenvalue (the most negative curvature) and its bound, which come free.
/// </summary>
public sealed record TopEigenvalues(double[] Values, double[] Residuals, double Min, double MinResidual, int Steps, bool Converged);

/// <summary>
/// PyHessian's three quantities on a <see cref="HessianVectorProduct"/>: top eigenvalues (Lanczos with full
/// reorthogonalisation instead of PyHessian's power iteration with deflation: one Krylov space gives all k at once,
/// each with a residual bound), the trace (Hutchinson, Rademacher vectors) and the eigenvalue density (stochastic
/// Lanczos quadrature, Rademacher start vectors as PyHessian). Random vectors are drawn on the CPU from a generator
/// seeded by the caller (TorchSharp 0.107 makes CPU generators only) and copied once to the HVP's device, through pinned
/// memory without a stream sync on CUDA: the same seed gives the same vectors on CPU and CUDA.
/// </summary>
public static class HessianSpectrum
{
    /// <summary>
    /// Runs Lanczos from a seeded Gaussian start until the top <paramref name="k"/> Ritz values have residual
    /// ≤ <paramref name="tolerance"/> · max|θ| (or <paramref name="maxSteps"/>, or an invariant subspace: exact).
    /// Lanczos finds each distinct eigenvalue once: a repeated eigenvalue is reported once.
    /// </summary>
    public static TopEigenvalues Top(HessianVectorProduct h, int k, int maxSteps, double tolerance, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var start = ToDevice(randn([h.Dimension], dtype: h.DType, generator: generator), h.Device);
        var run = TensorLanczos.Run(h.Apply, start, maxSteps, c => c.Steps >= Math.Min(k, h.Dimension) && Converged(c, k, tolerance));
        var ritz = run.Ritz();
        int count = Math.Min(k, ritz.Values.Length);
        double last = run.Beta[^1];
        var order = Enumerable.Range(0, ritz.Values.Length).Reverse().Take(count).ToArray();   // descending
        double Residual(int j) => run.Invariant ? 0 : Math.Abs(last * ritz.LastRow[j]);
        return new TopEigenvalues(order.Select(j => ritz.Values[j]).ToArray(), order.Select(Residual).ToArray(),
            ritz.Values[0], Residual(0), run.Steps, run.Invariant || Converged(run, k, tolerance));
    }

    /// <summary>Hutchinson: tr H ≈ mean of vᵀHv over Rademacher v (entries ±1), with its standard error.</summary>
    public static SampleMean HutchinsonTrace(HessianVectorProduct h, int samples, long seed)
    {
        if (samples <= 0) return SampleMean.Of([]);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var quadratic = zeros(samples, dtype: ScalarType.Float64, device: h.Device);       // vᵀHv, kept on the device
        for (int i = 0; i < samples; i++)
        {
            using var step = NewDisposeScope();
            var v = Rademacher(h, generator);
            quadratic[i] = v.dot(h.Apply(v)).to(ScalarType.Float64);
        }
        return SampleMean.Of(quadratic.cpu().data<double>().ToArray());                  // one read at the end
    }

    /// <summary>Stochastic Lanczos quadrature: <paramref name="runs"/> rules of <paramref name="steps"/> nodes each.</summary>
    public static List<QuadratureRule> Quadrature(HessianVectorProduct h, int runs, int steps, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var rules = new List<QuadratureRule>(runs);
        for (int r = 0; r < runs; r++)
        {
            using var step = NewDisposeScope();
            var c = TensorLanczos.Run(h.Apply, Rademacher(h, generator), steps);
            rules.Add(QuadratureRule.FromLanczos(c.Alpha, c.Beta));
        }
        return rules;
    }

    /// <summary>Whether the top k Ritz values of <paramref name="c"/> have residual ≤ tolerance · max|θ|.</summary>
    private static bool Converged(LanczosCoefficients c, int k, double tolerance)
    {
        var ritz = c.Ritz();
        double scale = Math.Max(Math.Abs(ritz.Values[0]), Math.Abs(ritz.Values[^1]));
        double last = c.Beta[^1];
        int n = ritz.Values.Length;
        for (int j = n - 1; j >= Math.Max(0, n - k); j--)
            if (Math.Abs(last * ritz.LastRow[j]) > tolerance * scale) return false;
        return true;
    }

    private static Tensor Rademacher(HessianVectorProduct h, Generator generator) =>
        ToDevice(randint(0, 2, [h.Dimension], dtype: h.DType, generator: generator).mul_(2).sub_(1), h.Device);

    /// <summary>A CPU tensor on <paramref name="device"/>: pinned and copied without blocking on CUDA.</summary>
    private static Tensor ToDevice(Tensor cpu, Device device) =>
        device.type == DeviceType.CPU ? cpu : cpu.pin_memory().to(device, non_blocking: true);
}
