using PeTools.Core.Spectral;
using static TorchSharp.torch;

namespace PeTools.Torch.Curvature;

/// <summary>The tridiagonal of a Lanczos run: α_0..α_(k−1), β_0..β_(k−1) (β_(k−1) is the residual norm after step k).</summary>
/// <param name="Invariant">the run stopped because β vanished (or the space was exhausted): its Ritz values are exact</param>
public sealed record LanczosCoefficients(IReadOnlyList<double> Alpha, IReadOnlyList<double> Beta, bool Invariant)
{
    public int Steps => Alpha.Count;

    /// <summary>Ritz values ascending, and the eigenvector rows that give SLQ weights and residual bounds |β_(k−1) s_(k−1),j|.</summary>
    public TridiagonalEigenpairs Ritz() => TridiagonalEigen.Solve(Alpha, Beta);
}

/// <summary>
/// Lanczos with full reorthogonalisation on a symmetric operator given as a tensor function (Hessian-vector products):
/// the basis is a (steps, n) tensor on the operator's device, and each step re-projects the new vector against all of
/// it twice (Gram–Schmidt, two passes) with two matrix-vector products, so no ghost eigenvalues appear. Each step reads
/// back exactly two scalars, α and β, in one transfer: the only host synchronisation. The tridiagonal is solved on the
/// host (<see cref="TridiagonalEigen"/>, O(k) per sweep).
/// </summary>
public static class TensorLanczos
{
    /// <summary>β below this many machine epsilons × the largest |α| seen means an invariant subspace was reached.</summary>
    public const double BreakdownEpsilons = 100;

    /// <param name="apply">v ↦ Av for a flat v; returns a new tensor</param>
    /// <param name="start">the start vector (n), not necessarily unit</param>
    /// <param name="maxSteps">at most this many steps (and at most n)</param>
    /// <param name="done">asked after every step with the coefficients so far; true stops the run</param>
    public static LanczosCoefficients Run(Func<Tensor, Tensor> apply, Tensor start, int maxSteps,
        Func<LanczosCoefficients, bool>? done = null)
    {
        using var scope = NewDisposeScope();
        long n = start.shape[0];
        int steps = (int)Math.Min(Math.Max(1, maxSteps), n);
        double eps = start.dtype == ScalarType.Float64 ? Math.Pow(2, -52) : Math.Pow(2, -23);
        var basis = zeros([steps, n], dtype: start.dtype, device: start.device);          // (steps, n)
        var q = start / start.norm();                                                      // (n)
        var (alpha, beta) = (new List<double>(steps), new List<double>(steps));
        double scale = 0;
        for (int k = 0; k < steps; k++)
        {
            using var step = NewDisposeScope();
            basis[k].copy_(q);
            var w = apply(q);                                                              // (n)
            var a = q.dot(w);                                                              // () on the device
            w.sub_(q * a);
            if (k > 0) w.sub_(basis[k - 1] * beta[k - 1]);
            var span = basis.narrow(0, 0, k + 1);                                          // (k+1, n)
            for (int pass = 0; pass < 2; pass++)
                w.sub_(span.t().mv(span.mv(w)));                                           // w −= Q (Qᵀ w)
            var b = w.norm();
            var ab = stack([a.to(ScalarType.Float64), b.to(ScalarType.Float64)]).cpu().data<double>().ToArray(); // the one sync
            alpha.Add(ab[0]);
            beta.Add(ab[1]);
            scale = Math.Max(scale, Math.Abs(ab[0]));
            bool invariant = ab[1] <= BreakdownEpsilons * eps * Math.Max(scale, double.Epsilon) || k + 1 == n;
            if (invariant) return new LanczosCoefficients(alpha, beta, true);
            if (done?.Invoke(new LanczosCoefficients(alpha, beta, false)) == true) break;
            q.Dispose();
            q = (w / ab[1]).MoveToOuterDisposeScope();
        }
        return new LanczosCoefficients(alpha, beta, false);
    }
}
