namespace PeTools.Core.Spectral;

/// <summary>A closed interval [Lower, Upper] that a set of eigenvalues is claimed to lie in.</summary>
public sealed record Interval(double Lower, double Upper)
{
    public double Width => Upper - Lower;

    /// <summary>True when [min, max] ⊆ this interval up to <paramref name="tolerance"/> · scale.</summary>
    public bool Contains(double min, double max, double tolerance = 1e-10)
    {
        double scale = Math.Max(1e-300, Math.Max(Math.Abs(Lower), Math.Abs(Upper)));
        return min >= Lower - tolerance * scale && max <= Upper + tolerance * scale;
    }
}

/// <summary>
/// The eigenvalue inclusion theorems of paper.md §4.1, each as a function from cheap data to an interval, so a
/// measured spectrum can be printed beside the bound it is supposed to obey.
/// </summary>
public static class SpectralBounds
{
    /// <summary>
    /// Schur (I-1): for Hermitian A and PSD B = Σ v_k v_k* with diagonal in [bMin, bMax],
    /// x*(A∘B)x = Σ_k (D_{v_k}* x)* A (D_{v_k}* x) and Σ_k ‖D_{v_k}* x‖² = Σ_i b_ii |x_i|², hence
    /// λ(A∘B) ∈ [λ_min(A)·(bMax if λ_min &lt; 0 else bMin), λ_max(A)·(bMax if λ_max &gt; 0 else bMin)].
    /// With unit diagonal (every G_e) this is [λ_min(A), λ_max(A)].
    /// </summary>
    public static Interval Schur(double lambdaMinA, double lambdaMaxA, double diagMin = 1, double diagMax = 1)
    {
        if (diagMin < 0 || diagMax < diagMin) throw new ArgumentException("a PSD matrix has a diagonal in [0, ∞) and diagMin ≤ diagMax");
        double lower = lambdaMinA * (lambdaMinA < 0 ? diagMax : diagMin);
        double upper = lambdaMaxA * (lambdaMaxA > 0 ? diagMax : diagMin);
        return new Interval(lower, upper);
    }

    /// <summary>Weyl (I-3): λ(A + B) ⊆ [λ_min(A) + λ_min(B), λ_max(A) + λ_max(B)] for Hermitian A, B.</summary>
    public static Interval Weyl(params Interval[] terms) =>
        new(terms.Sum(t => t.Lower), terms.Sum(t => t.Upper));

    /// <summary>Gershgorin discs of the symmetric part (A + Aᵀ)/2: centre a_ii, radius Σ_{j≠i} |h_ij|.</summary>
    public static Interval Gershgorin(double[,] a)
    {
        int n = a.GetLength(0);
        double lower = double.PositiveInfinity, upper = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double radius = 0;
            for (int j = 0; j < n; j++)
                if (j != i) radius += Math.Abs(0.5 * (a[i, j] + a[j, i]));
            lower = Math.Min(lower, a[i, i] - radius);
            upper = Math.Max(upper, a[i, i] + radius);
        }
        return new Interval(lower, upper);
    }

    /// <summary>Gershgorin for the symmetric Toeplitz T_ij = symbol[|i−j|] in O(n) (prefix sums of |t_k|).</summary>
    public static Interval GershgorinToeplitz(ReadOnlySpan<double> symbol)
    {
        int n = symbol.Length;
        var prefix = new double[n + 1];
        for (int k = 1; k < n; k++) prefix[k + 1] = prefix[k] + Math.Abs(symbol[k]);
        double maxRadius = 0, minRadius = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            // Row i reaches distances 1..i to the left and 1..n−1−i to the right.
            double r = prefix[i + 1] + prefix[n - i];
            maxRadius = Math.Max(maxRadius, r);
            minRadius = Math.Min(minRadius, r);
        }
        return new Interval(symbol[0] - maxRadius, symbol[0] + maxRadius);
    }

    /// <summary>
    /// Grenander–Szegő (I-3): a Hermitian Toeplitz T_n(f) has every eigenvalue in [min f, max f], here for the
    /// real symmetric T_ij = symbol[|i−j|] with f(ω) = t_0 + 2 Σ_{k≥1} t_k cos kω. f is sampled at M ≥ 8n points
    /// by one FFT (the circulant embedding's eigenvalues), and the grid is widened by the Lipschitz constant
    /// Σ 2k|t_k| times half the grid step, so the interval is rigorous rather than a sample.
    /// </summary>
    public static Interval GrenanderSzego(ReadOnlySpan<double> symbol)
    {
        int n = symbol.Length;
        int m = 2;
        while (m < 8 * n) m <<= 1;
        var c = Toeplitz.CirculantEmbedding(symbol, symbol, m);
        var re = new double[m / 2 + 1];
        var im = new double[m / 2 + 1];
        new RealFft(m).Forward(c, re, im);
        double lipschitz = 0;
        for (int k = 1; k < n; k++) lipschitz += 2 * k * Math.Abs(symbol[k]);
        double slack = lipschitz * Math.PI / m;
        return new Interval(re.Min() - slack, re.Max() + slack);
    }

    /// <summary>The symbol of the symmetric part of a Toeplitz matrix: (column[k] + row[k]) / 2.</summary>
    public static double[] SymmetricSymbol(ReadOnlySpan<double> column, ReadOnlySpan<double> row)
    {
        var s = new double[column.Length];
        for (int k = 0; k < s.Length; k++) s[k] = 0.5 * (column[k] + row[k]);
        return s;
    }
}
