namespace PeTools.Core.Spectral;

/// <summary>Stopping rules for <see cref="Lanczos"/>.</summary>
/// <param name="MaxIterations">Krylov dimension cap (memory: one length-n vector per iteration).</param>
/// <param name="Tolerance">Stop when both extreme Ritz pairs have residual ≤ Tolerance · max|θ|.</param>
public sealed record LanczosOptions(int MaxIterations = 300, double Tolerance = 1e-12);

/// <summary>The extreme eigenvalues found, with the residual bound |β_k s_k| that certifies each.</summary>
public sealed record LanczosResult(double Min, double Max, double ResidualMin, double ResidualMax, int Iterations, bool Converged);

/// <summary>
/// Extreme eigenvalues of a symmetric operator by Lanczos with full reorthogonalisation (two Gram–Schmidt
/// passes per step). Full reorthogonalisation costs O(n k²) but removes the ghost eigenvalues that make plain
/// Lanczos untrustworthy, and every Ritz value comes with a residual bound, so a result is checkable.
/// </summary>
public static class Lanczos
{
    public static LanczosResult Extremes(ILinearOperator a, Random random, LanczosOptions? options = null)
    {
        options ??= new LanczosOptions();
        int n = a.Size;
        int maxIter = Math.Min(n, Math.Max(1, options.MaxIterations));
        var basis = new List<double[]>(maxIter);
        var alpha = new List<double>(maxIter);
        var beta = new List<double>(maxIter);

        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = Gaussian(random);
        Blas.Scale(1 / Blas.Norm(v), v);

        LanczosResult? last = null;
        for (int k = 0; k < maxIter; k++)
        {
            basis.Add(v);
            var w = new double[n];
            a.Apply(v, w);
            double ak = Blas.Dot(v, w);
            alpha.Add(ak);
            Blas.Axpy(-ak, v, w);
            if (k > 0) Blas.Axpy(-beta[k - 1], basis[k - 1], w);
            for (int pass = 0; pass < 2; pass++)
                foreach (var q in basis)
                    Blas.Axpy(-Blas.Dot(q, w), q, w);
            double bk = Blas.Norm(w);
            beta.Add(bk);

            var (theta, _, lastRow) = TridiagonalEigen.Solve(alpha, beta);
            double scale = Math.Max(Math.Abs(theta[0]), Math.Abs(theta[^1]));
            double rMin = Math.Abs(bk * lastRow[0]), rMax = Math.Abs(bk * lastRow[^1]);
            bool invariant = bk <= 1e-14 * Math.Max(scale, double.Epsilon) || k + 1 == n;
            bool converged = invariant || (rMin <= options.Tolerance * scale && rMax <= options.Tolerance * scale);
            last = new LanczosResult(theta[0], theta[^1], rMin, rMax, k + 1, converged);
            // An invariant subspace (β = 0) makes the Ritz values exact eigenvalues; a random start has a
            // component along every eigenvector, so the extremes of that subspace are the operator's.
            if (converged) return last;
            v = w;
            Blas.Scale(1 / bk, v);
        }
        return last!;
    }

    private static double Gaussian(Random r)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>The eigen-decomposition Lanczos needs of its tridiagonal matrix: eigenvalues ascending, and the first and
/// last components of the matching unit eigenvectors (first: the quadrature weights of stochastic Lanczos
/// quadrature, squared; last: the residual bounds |β s|).</summary>
public sealed record TridiagonalEigenpairs(double[] Values, double[] FirstRow, double[] LastRow);

/// <summary>
/// Eigenvalues of a symmetric tridiagonal matrix by implicit QL (EISPACK tql2), accumulating only the first and last
/// rows of the eigenvector matrix: those rows are all Lanczos needs, and rotations act on the rows of Z
/// independently, so tracking two rows is exact and costs O(k) per sweep instead of O(k²).
/// </summary>
public static class TridiagonalEigen
{
    /// <summary>Eigenvalues ascending, with the matching first and last components of the unit eigenvectors.</summary>
    /// <param name="diagonal">α_0..α_(k−1)</param>
    /// <param name="offDiagonal">β_0..β_(k−2) (further entries are ignored)</param>
    public static TridiagonalEigenpairs Solve(IReadOnlyList<double> diagonal, IReadOnlyList<double> offDiagonal)
    {
        int n = diagonal.Count;
        var d = diagonal.ToArray();
        var e = new double[n];
        for (int i = 0; i < n - 1; i++) e[i] = offDiagonal[i];
        var z = new double[n];   // last row of Z
        var z0 = new double[n];  // first row of Z
        z[n - 1] = 1;
        z0[0] = 1;

        double f = 0, tst1 = 0, eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1) m++;
            if (m > l)
            {
                int guard = 0;
                do
                {
                    if (++guard > 100) throw new ArithmeticException("tridiagonal QL did not converge");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2; c2 = c; s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        h = z[i + 1];
                        z[i + 1] = s * z[i] + c * h;
                        z[i] = c * z[i] - s * h;
                        h = z0[i + 1];
                        z0[i + 1] = s * z0[i] + c * h;
                        z0[i] = c * z0[i] - s * h;
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        var order = Enumerable.Range(0, n).OrderBy(i => d[i]).ToArray();
        return new TridiagonalEigenpairs(order.Select(i => d[i]).ToArray(), order.Select(i => z0[i]).ToArray(),
            order.Select(i => z[i]).ToArray());
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }
}
