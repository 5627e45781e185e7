namespace PeTools.Core.Spectral;

/// <summary>
/// One run of stochastic Lanczos quadrature (Golub–Meurant; Ghorbani et al. 2019; PyHessian's <c>density()</c>): k
/// Lanczos steps from a unit start vector v give the tridiagonal T = S Θ Sᵀ; its eigenvalues θ_j (Ritz values) are
/// the nodes and τ_j = s_0j² the weights of a k-point Gauss rule for the spectral measure of v:
/// vᵀ f(A) v ≈ Σ_j τ_j f(θ_j). The weights sum to 1, and Σ_j τ_j θ_j = T_00 = vᵀ A v.
/// </summary>
public sealed record QuadratureRule(double[] Nodes, double[] Weights)
{
    /// <summary>The rule of the Lanczos coefficients α_0..α_(k−1), β_0..β_(k−2).</summary>
    public static QuadratureRule FromLanczos(IReadOnlyList<double> alpha, IReadOnlyList<double> beta)
    {
        var e = TridiagonalEigen.Solve(alpha, beta);
        return new QuadratureRule(e.Values, e.FirstRow.Select(s => s * s).ToArray());
    }

    /// <summary>Σ_j τ_j θ_j: the Rayleigh quotient vᵀAv of the start vector (its "first moment").</summary>
    public double Mean => Nodes.Zip(Weights, (x, w) => x * w).Sum();
}

/// <summary>
/// An eigenvalue density on a uniform grid: the SLQ rules of several runs, each node broadened by a Gaussian,
/// averaged over runs (PyHessian's <c>density_generate</c>). Differences from PyHessian, each so the density is a
/// density on its grid: the grid spans every run's nodes (not the mean of the runs' extremes) padded by
/// max(overhead, 5σ), and σ is widened to at least one grid step when the kernel would fall between grid points. It
/// is not renormalised: Σ τ = 1, so its integral is 1 up to quadrature error, which is a check, not a fudge.
/// </summary>
/// <param name="Grid">ascending, equally spaced points</param>
/// <param name="Density">the density at each grid point</param>
/// <param name="Variance">σ² of the Gaussian kernel</param>
public sealed record SpectralDensity(double[] Grid, double[] Density, double Variance)
{
    /// <summary>PyHessian's defaults: kernel variance 1e-5 · max(1, spectrum range), grid overhang 0.01.</summary>
    public const double DefaultVarianceFactor = 1e-5;
    public const double DefaultOverhead = 0.01;

    /// <param name="runs">the quadrature rules, one per random start vector</param>
    /// <param name="points">grid points (at least 16)</param>
    /// <param name="varianceFactor">σ² = varianceFactor · max(1, λ_max − λ_min) before any widening</param>
    public static SpectralDensity Broaden(IReadOnlyList<QuadratureRule> runs, int points,
        double varianceFactor = DefaultVarianceFactor, double overhead = DefaultOverhead)
    {
        if (runs.Count == 0) throw new ArgumentException("a density needs at least one quadrature rule", nameof(runs));
        if (points < 16) throw new ArgumentOutOfRangeException(nameof(points), points, "a density needs at least 16 grid points");
        double lo = runs.Min(r => r.Nodes.Min()), hi = runs.Max(r => r.Nodes.Max()), range = hi - lo;
        double std = Math.Sqrt(varianceFactor * Math.Max(1, range)), pad = 0, step = 0;
        // Widen σ to the grid step: each widening grows the step by only 10/(points − 1) as much, so this settles.
        for (int i = 0; i < 64; i++)
        {
            pad = Math.Max(overhead, 5 * std);
            step = (range + 2 * pad) / (points - 1);
            if (std >= step) break;
            std = step;
        }
        var grid = new double[points];
        for (int i = 0; i < points; i++) grid[i] = lo - pad + i * step;
        var density = new double[points];
        double variance = std * std, norm = 1 / (Math.Sqrt(2 * Math.PI) * std * runs.Count);
        foreach (var run in runs)
            for (int j = 0; j < run.Nodes.Length; j++)
            {
                double node = run.Nodes[j], weight = run.Weights[j] * norm;
                // Only grid points within 12σ of the node: beyond, exp(−72) vanishes against any double.
                int first = Math.Max(0, (int)Math.Floor((node - 12 * std - grid[0]) / step));
                int last = Math.Min(points - 1, (int)Math.Ceiling((node + 12 * std - grid[0]) / step));
                for (int i = first; i <= last; i++)
                {
                    double z = (grid[i] - node) / std;
                    density[i] += weight * Math.Exp(-0.5 * z * z);
                }
            }
        return new SpectralDensity(grid, density, variance);
    }

    /// <summary>∫ ρ(x) dx by the trapezoid rule on the grid (≈ 1).</summary>
    public double Integral() => Trapezoid(i => Density[i]);

    /// <summary>∫ x ρ(x) dx by the trapezoid rule on the grid (≈ the mean eigenvalue, trace / dimension).</summary>
    public double FirstMoment() => Trapezoid(i => Grid[i] * Density[i]);

    private double Trapezoid(Func<int, double> f)
    {
        double step = Grid.Length > 1 ? Grid[1] - Grid[0] : 0, sum = 0;
        for (int i = 0; i < Grid.Length; i++) sum += (i == 0 || i == Grid.Length - 1 ? 0.5 : 1) * f(i);
        return sum * step;
    }
}

/// <summary>Mean and standard error of independent samples (Hutchinson's trace estimates).</summary>
public readonly record struct SampleMean(double Mean, double StandardError, int Count)
{
    /// <summary>Standard error = sample standard deviation (n − 1) / √n; NaN for one sample.</summary>
    public static SampleMean Of(IReadOnlyList<double> samples)
    {
        int n = samples.Count;
        if (n == 0) return new SampleMean(double.NaN, double.NaN, 0);
        double mean = samples.Average();
        if (n == 1) return new SampleMean(mean, double.NaN, 1);
        double ss = samples.Sum(x => (x - mean) * (x - mean));
        return new SampleMean(mean, Math.Sqrt(ss / (n - 1) / n), n);
    }
}
