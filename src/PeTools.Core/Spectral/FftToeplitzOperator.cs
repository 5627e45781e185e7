namespace PeTools.Core.Spectral;

/// <summary>
/// y = T x for an n×n real Toeplitz T in O(n log n): embed T in a circulant of size M = 2^⌈log2(2n)⌉, whose
/// eigenvalues are the DFT of its first column, and multiply in the Fourier domain. Memory is O(n): the
/// structured path's answer to "n = 2^20 does not fit as a dense matrix" (8 TB).
/// </summary>
public sealed class FftToeplitzOperator : ILinearOperator
{
    private readonly RealFft _fft;
    private readonly double[] _lambdaRe;
    private readonly double[] _lambdaIm;
    private readonly double[] _padded;
    private readonly double[] _specRe;
    private readonly double[] _specIm;

    public FftToeplitzOperator(ReadOnlySpan<double> column, ReadOnlySpan<double> row)
    {
        Size = column.Length;
        IsSymmetric = column.SequenceEqual(row);
        int m = 2;
        while (m < 2 * Size) m <<= 1;
        _fft = new RealFft(m);
        _lambdaRe = new double[m / 2 + 1];
        _lambdaIm = new double[m / 2 + 1];
        _fft.Forward(Toeplitz.CirculantEmbedding(column, row, m), _lambdaRe, _lambdaIm);
        _padded = new double[m];
        _specRe = new double[m / 2 + 1];
        _specIm = new double[m / 2 + 1];
    }

    /// <summary>The symmetric Toeplitz operator with T_ij = symbol[|i − j|].</summary>
    public static FftToeplitzOperator Symmetric(ReadOnlySpan<double> symbol) => new(symbol, symbol);

    public int Size { get; }
    public bool IsSymmetric { get; }

    /// <summary>Circulant size used for the embedding (a power of two ≥ 2n).</summary>
    public int EmbeddingSize => _fft.Size;

    // Not thread-safe: the work buffers are shared so a Lanczos run allocates nothing per product.
    public void Apply(ReadOnlySpan<double> x, Span<double> y) => Multiply(x, y, conjugate: false);

    /// <summary>Tᵀ is the Toeplitz matrix with column and row swapped, whose circulant spectrum is conj(λ).</summary>
    public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) => Multiply(x, y, conjugate: true);

    private void Multiply(ReadOnlySpan<double> x, Span<double> y, bool conjugate)
    {
        if (x.Length != Size || y.Length != Size) throw new ArgumentException($"operator of size {Size} got vectors of {x.Length}, {y.Length}");
        Array.Clear(_padded);
        x.CopyTo(_padded);
        _fft.Forward(_padded, _specRe, _specIm);
        double sign = conjugate ? -1 : 1;
        for (int k = 0; k < _specRe.Length; k++)
        {
            double lr = _lambdaRe[k], li = sign * _lambdaIm[k];
            double xr = _specRe[k], xi = _specIm[k];
            _specRe[k] = lr * xr - li * xi;
            _specIm[k] = lr * xi + li * xr;
        }
        _fft.Inverse(_specRe, _specIm, _padded);
        _padded.AsSpan(0, Size).CopyTo(y);
    }
}
