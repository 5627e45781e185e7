using System.Numerics;
using System.Runtime.InteropServices;

namespace PeTools.Core.Spectral;

/// <summary>
/// Eigenvalues only (no vectors) of a dense symmetric matrix: Householder reduction to tridiagonal form, then
/// implicit QL. Why not MathNet: its managed EVD always accumulates eigenvectors and runs unblocked, ~28 s at
/// n = 2048 here, 8× numpy. This path fuses each step's rank-2 update with the next step's symmetric
/// matrix-vector product, so the trailing matrix streams through memory once per step, with SIMD rows split over
/// threads. MathNet stays the oracle (tests compare the two on random matrices).
/// </summary>
public static class HouseholderEigenvalues
{
    /// <summary>Rows below this are updated on one thread: fork/join costs more than the work.</summary>
    private const int ParallelThreshold = 256;

    /// <summary>
    /// Rows are dealt to this many lanes, each with its own partial product, summed in lane order. The lane count is
    /// fixed (threads only execute lanes), so the result is bit-identical for any thread count (STYLE.md §11).
    /// </summary>
    private const int Lanes = 4;

    /// <summary>Eigenvalues of (A + Aᵀ)/2, ascending.</summary>
    public static double[] Compute(double[,] matrix, int threads = 1)
    {
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n) throw new ArgumentException("eigenvalues need a square matrix");
        if (n == 0) return [];
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = 0.5 * (matrix[i, j] + matrix[j, i]);
        var (d, e) = Tridiagonalise(a, n, Math.Max(1, threads));
        return TridiagonalEigen.Solve(d, e).Values;
    }

    /// <summary>
    /// Reduces the row-major symmetric <paramref name="a"/> in place, reading and writing only its lower triangle
    /// (half the memory traffic: at n = 2048 the matrix no longer fits in cache, and traffic is the cost).
    /// Returns the diagonal and sub-diagonal.
    /// </summary>
    internal static (double[] Diagonal, double[] OffDiagonal) Tridiagonalise(double[] a, int n, int threads)
    {
        var d = new double[n];
        var e = new double[Math.Max(1, n)];
        if (n == 1) { d[0] = a[0]; return (d, e); }
        var x = new double[n];
        var v = new double[n];
        var w = new double[n];
        var p = new double[n];
        var partial = Enumerable.Range(0, Lanes).Select(_ => new double[n]).ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };

        // Step 0's reflector (from column 0) and its product p = τ S v, before the fused loop takes over.
        for (int j = 0; j < n - 1; j++) x[j] = a[(1 + j) * n];
        var (tau, beta) = House(x.AsSpan(0, n - 1), v);
        LowerProduct(a, n, 1, n - 1, v, partial[0], 0, 1);
        for (int j = 0; j < n - 1; j++) p[j] = tau * partial[0][j];

        for (int k = 0; k <= n - 3; k++)
        {
            int m = n - k - 1, col = k + 1;          // S = A[k+1.., k+1..] is m×m; row i of S is global row col + i
            d[k] = a[k * n + k];
            e[k] = beta;
            if (tau != 0)
            {
                double alpha = -0.5 * tau * Blas.Dot(p.AsSpan(0, m), v.AsSpan(0, m));
                for (int j = 0; j < m; j++) w[j] = p[j] + alpha * v[j];   // S ← S − v wᵀ − w vᵀ
                // Column 0 of S first (O(m)): the next reflector is built from it before the fused pass.
                for (int i = 0; i < m; i++) a[(col + i) * n + col] -= v[i] * w[0] + w[i] * v[0];
            }
            bool next = k + 1 <= n - 3;
            double tauNext = 0, betaNext = 0;
            if (next)
            {
                for (int j = 0; j < m - 1; j++) x[j] = a[(col + 1 + j) * n + col];
                (tauNext, betaNext) = House(x.AsSpan(0, m - 1), x);   // v' overwrites x (each entry is read first)
            }
            var vNext = x;

            // Rows 1..m−1 of S: finish this step's update (columns 1..i), then use the fresh row segment for
            // the next product p' = τ' S' v', where S' = S[1.., 1..] and row i of S is row i−1 of S'.
            void Rows(int t, int lanes)
            {
                var acc = partial[t].AsSpan(0, m - 1);
                acc.Clear();
                // Lane t takes a contiguous block of rows with about 1/lanes of the triangle's area (row i has i entries),
                // so the hardware prefetcher sees one stream and lanes finish together.
                int from = 1 + (int)((m - 1) * Math.Sqrt((double)t / lanes));
                int to = 1 + (int)((m - 1) * Math.Sqrt((double)(t + 1) / lanes));
                for (int i = from; i < to; i++)
                {
                    var seg = a.AsSpan((col + i) * n + col + 1, i);    // S[i, 1..i] = S'[i−1, 0..i−1]
                    if (tau != 0) Rank2Row(seg, v[i], w.AsSpan(1, i), w[i], v.AsSpan(1, i));
                    if (!next) continue;
                    int r = i - 1;
                    acc[r] += Blas.Dot(seg, vNext.AsSpan(0, r + 1));
                    Blas.Axpy(vNext[r], seg[..r], acc[..r]);
                }
            }
            int used = m < ParallelThreshold ? 1 : Lanes;
            if (used == 1) Rows(0, 1);
            else if (threads == 1) for (int t = 0; t < used; t++) Rows(t, used);
            else Parallel.For(0, used, options, t => Rows(t, used));
            if (!next) break;
            for (int j = 0; j < m - 1; j++)
            {
                double s = 0;
                for (int t = 0; t < used; t++) s += partial[t][j];
                p[j] = tauNext * s;
            }
            (v, x) = (x, v);
            (tau, beta) = (tauNext, betaNext);
        }
        d[n - 2] = a[(n - 2) * n + n - 2];
        d[n - 1] = a[(n - 1) * n + n - 1];
        e[n - 2] = a[(n - 1) * n + n - 2];
        return (d, e);
    }

    /// <summary>acc = S v for the m×m trailing block at <paramref name="start"/>, from its lower triangle.</summary>
    private static void LowerProduct(double[] a, int n, int start, int m, double[] v, double[] acc, int first, int stride)
    {
        acc.AsSpan(0, m).Clear();
        for (int r = first; r < m; r += stride)
        {
            var seg = a.AsSpan((start + r) * n + start, r + 1);
            acc[r] += Blas.Dot(seg, v.AsSpan(0, r + 1));
            Blas.Axpy(v[r], seg[..r], acc.AsSpan(0, r));
        }
    }

    /// <summary>LAPACK dlarfg: H = I − τ v vᵀ with v[0] = 1 maps x to β e₁. Returns (τ, β); τ = 0 when x is already e₁-parallel.</summary>
    private static (double Tau, double Beta) House(ReadOnlySpan<double> x, Span<double> v)
    {
        int m = x.Length;
        double alpha = x[0];
        double tailNorm = m > 1 ? Blas.Norm(x[1..]) : 0;
        if (tailNorm == 0)
        {
            v[..m].Clear();
            v[0] = 1;
            return (0, alpha);
        }
        double beta = -Math.CopySign(Math.Sqrt(alpha * alpha + tailNorm * tailNorm), alpha);
        double tau = (beta - alpha) / beta;
        double scale = 1 / (alpha - beta);
        v[0] = 1;
        for (int j = 1; j < m; j++) v[j] = x[j] * scale;
        return (tau, beta);
    }

    /// <summary>s ← s − vi·w − wi·v (one row of the symmetric rank-2 update).</summary>
    private static void Rank2Row(Span<double> s, double vi, ReadOnlySpan<double> w, double wi, ReadOnlySpan<double> v)
    {
        var vs = MemoryMarshal.Cast<double, Vector<double>>(s);
        var vw = MemoryMarshal.Cast<double, Vector<double>>(w);
        var vv = MemoryMarshal.Cast<double, Vector<double>>(v);
        var a = new Vector<double>(vi);
        var b = new Vector<double>(wi);
        for (int j = 0; j < vs.Length; j++) vs[j] -= a * vw[j] + b * vv[j];
        for (int j = vs.Length * Vector<double>.Count; j < s.Length; j++) s[j] -= vi * w[j] + wi * v[j];
    }
}
