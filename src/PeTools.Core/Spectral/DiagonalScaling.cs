using System.Numerics;

namespace PeTools.Core.Spectral;

/// <summary>
/// Hadamard products with rank-one kernels: A ∘ (u u*) = D_u A D_u*, entry (i, j) = u_i A_ij conj(u_j).
/// For RoPE's single-frequency kernel G_e = u u* with |u_m| = 1 this is a unitary similarity (paper.md (I-2)),
/// so it cannot change the spectrum; <see cref="HadamardProduct"/> is the literal definition the tests compare with.
/// </summary>
public static class DiagonalScaling
{
    /// <summary>D_u A D_u*.</summary>
    public static Complex[,] Apply(ReadOnlySpan<Complex> u, Complex[,] a)
    {
        int n = u.Length;
        if (a.GetLength(0) != n || a.GetLength(1) != n) throw new ArgumentException($"D_u of size {n} cannot scale a {a.GetLength(0)}×{a.GetLength(1)} matrix");
        var r = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                r[i, j] = u[i] * a[i, j] * Complex.Conjugate(u[j]);
        return r;
    }

    /// <summary>The element-wise product A ∘ B.</summary>
    public static Complex[,] HadamardProduct(Complex[,] a, Complex[,] b)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        if (b.GetLength(0) != n || b.GetLength(1) != m) throw new ArgumentException("Hadamard product needs matrices of one shape");
        var r = new Complex[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                r[i, j] = a[i, j] * b[i, j];
        return r;
    }

    /// <summary>The rank-one kernel u u*.</summary>
    public static Complex[,] OuterProduct(ReadOnlySpan<Complex> u)
    {
        int n = u.Length;
        var r = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                r[i, j] = u[i] * Complex.Conjugate(u[j]);
        return r;
    }

    /// <summary>(A + A*)/2.</summary>
    public static Complex[,] HermitianPart(Complex[,] a)
    {
        int n = a.GetLength(0);
        var r = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                r[i, j] = 0.5 * (a[i, j] + Complex.Conjugate(a[j, i]));
        return r;
    }

    /// <summary>(A + Aᵀ)/2 for a real matrix.</summary>
    public static double[,] SymmetricPart(double[,] a)
    {
        int n = a.GetLength(0);
        var r = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                r[i, j] = 0.5 * (a[i, j] + a[j, i]);
        return r;
    }
}
