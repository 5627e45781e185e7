using System.Numerics;

namespace PeTools.Core.Spectral;

/// <summary>
/// Dense Toeplitz matrices T_ij = t(i − j) from their first column and first row, the reference that
/// <see cref="FftToeplitzOperator"/> is tested against. Every PE kernel of paper.md §3 (G_e, P Pᵀ, ALiBi, T5)
/// is Toeplitz, so these builders are the single place where "depends only on i − j" becomes a matrix.
/// </summary>
public static class Toeplitz
{
    /// <summary>T_ij = column[i − j] for i ≥ j, row[j − i] for j ≥ i. column[0] must equal row[0].</summary>
    public static double[,] Dense(ReadOnlySpan<double> column, ReadOnlySpan<double> row)
    {
        CheckCorner(column.Length, row.Length, column.Length > 0 && row.Length > 0 && column[0] == row[0]);
        int n = column.Length;
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                t[i, j] = i >= j ? column[i - j] : row[j - i];
        return t;
    }

    /// <summary>Symmetric Toeplitz with T_ij = symbol[|i − j|] (ALiBi, P Pᵀ, the real RoPE kernel).</summary>
    public static double[,] Symmetric(ReadOnlySpan<double> symbol) => Dense(symbol, symbol);

    /// <summary>Hermitian Toeplitz with T_ij = column[i − j] for i ≥ j and conj(column[j − i]) above.</summary>
    public static Complex[,] Hermitian(ReadOnlySpan<Complex> column)
    {
        int n = column.Length;
        if (n == 0) throw new ArgumentException("a Toeplitz matrix needs at least one entry");
        if (Math.Abs(column[0].Imaginary) > 0) throw new ArgumentException("a Hermitian Toeplitz matrix has a real diagonal");
        var t = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                t[i, j] = i >= j ? column[i - j] : Complex.Conjugate(column[j - i]);
        return t;
    }

    /// <summary>The circulant C_ij = c[(i − j) mod n]: its eigenvalues are the DFT of c (the test's oracle).</summary>
    public static Complex[,] Circulant(ReadOnlySpan<Complex> c)
    {
        int n = c.Length;
        var m = new Complex[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                m[i, j] = c[((i - j) % n + n) % n];
        return m;
    }

    /// <summary>
    /// The first column of the circulant of size <paramref name="size"/> ≥ 2n − 1 whose leading n×n block is
    /// the Toeplitz matrix: [c_0 … c_{n−1}, 0 …, r_{n−1} … r_1].
    /// </summary>
    public static double[] CirculantEmbedding(ReadOnlySpan<double> column, ReadOnlySpan<double> row, int size)
    {
        int n = column.Length;
        CheckCorner(n, row.Length, n > 0 && column[0] == row[0]);
        if (size < 2 * n - 1) throw new ArgumentException($"circulant of size {size} cannot embed a Toeplitz matrix of size {n}");
        var c = new double[size];
        for (int k = 0; k < n; k++) c[k] = column[k];
        for (int k = 1; k < n; k++) c[size - k] = row[k];
        return c;
    }

    private static void CheckCorner(int columnLength, int rowLength, bool cornerAgrees)
    {
        if (columnLength != rowLength) throw new ArgumentException($"first column has {columnLength} entries, first row {rowLength}");
        if (!cornerAgrees) throw new ArgumentException("first column and first row must share their first entry");
    }
}
