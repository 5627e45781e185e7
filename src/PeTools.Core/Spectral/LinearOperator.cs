namespace PeTools.Core.Spectral;

/// <summary>
/// A real n×n matrix known only through products with vectors, so structured matrices (Toeplitz, low rank,
/// rotated low rank) never have to be formed. Lanczos and the structured solver work on this alone.
/// </summary>
public interface ILinearOperator
{
    int Size { get; }

    /// <summary>y ← A x. <paramref name="y"/> is overwritten; x and y never alias.</summary>
    void Apply(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>y ← Aᵀ x (needed for the Hermitian part and for singular values).</summary>
    void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>True when A = Aᵀ is known by construction: the Hermitian part is then A itself (half the work).</summary>
    bool IsSymmetric => false;
}

/// <summary>
/// Operator algebra: sums, scaling, the Hermitian part (A + Aᵀ)/2 and the normal operator AᵀA. Like the operators
/// they wrap, these reuse work buffers and are not thread-safe: one operator per thread.
/// </summary>
public static class Operators
{
    public static ILinearOperator Sum(params ILinearOperator[] terms) => new SumOperator(terms);

    public static ILinearOperator Scale(ILinearOperator a, double s) => new ScaledOperator(a, s);

    /// <summary>(A + Aᵀ)/2: the matrix whose eigenvalues the paper's bounds speak about (§4.1 caveat).</summary>
    public static ILinearOperator HermitianPart(ILinearOperator a) => a.IsSymmetric ? a : new HermitianPartOperator(a);

    /// <summary>AᵀA, whose largest eigenvalue is σ_max(A)².</summary>
    public static ILinearOperator Normal(ILinearOperator a) => new NormalOperator(a);

    /// <summary>Forms the dense matrix column by column (n products); for tests and the dense solver.</summary>
    public static double[,] ToDense(ILinearOperator a)
    {
        int n = a.Size;
        var m = new double[n, n];
        var e = new double[n];
        var col = new double[n];
        for (int j = 0; j < n; j++)
        {
            e[j] = 1;
            a.Apply(e, col);
            e[j] = 0;
            for (int i = 0; i < n; i++) m[i, j] = col[i];
        }
        return m;
    }

    private sealed class SumOperator : ILinearOperator
    {
        private readonly ILinearOperator[] _terms;
        public SumOperator(ILinearOperator[] terms)
        {
            if (terms.Length == 0 || terms.Any(t => t.Size != terms[0].Size))
                throw new ArgumentException("a sum needs one or more operators of one size");
            _terms = terms;
        }

        public int Size => _terms[0].Size;
        public bool IsSymmetric => _terms.All(t => t.IsSymmetric);
        public void Apply(ReadOnlySpan<double> x, Span<double> y) => Accumulate(x, y, transpose: false);
        public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) => Accumulate(x, y, transpose: true);

        private double[]? _tmp; // reused: at n = 2^20 a fresh 8 MB buffer per product is pure GC churn

        private void Accumulate(ReadOnlySpan<double> x, Span<double> y, bool transpose)
        {
            var tmp = _tmp ??= new double[Size];
            y.Clear();
            foreach (var t in _terms)
            {
                if (transpose) t.ApplyTranspose(x, tmp); else t.Apply(x, tmp);
                Blas.Axpy(1.0, tmp, y);
            }
        }
    }

    private sealed class ScaledOperator(ILinearOperator a, double s) : ILinearOperator
    {
        public int Size => a.Size;
        public bool IsSymmetric => a.IsSymmetric;
        public void Apply(ReadOnlySpan<double> x, Span<double> y) { a.Apply(x, y); Blas.Scale(s, y); }
        public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) { a.ApplyTranspose(x, y); Blas.Scale(s, y); }
    }

    private sealed class HermitianPartOperator(ILinearOperator a) : ILinearOperator
    {
        public int Size => a.Size;
        public bool IsSymmetric => true;

        private double[]? _t;

        public void Apply(ReadOnlySpan<double> x, Span<double> y)
        {
            var t = _t ??= new double[Size];
            a.Apply(x, y);
            a.ApplyTranspose(x, t);
            Blas.Axpy(1.0, t, y);
            Blas.Scale(0.5, y);
        }

        public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) => Apply(x, y);
    }

    private sealed class NormalOperator(ILinearOperator a) : ILinearOperator
    {
        public int Size => a.Size;
        public bool IsSymmetric => true;

        private double[]? _t;

        public void Apply(ReadOnlySpan<double> x, Span<double> y)
        {
            var t = _t ??= new double[Size];
            a.Apply(x, t);
            a.ApplyTranspose(t, y);
        }

        public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) => Apply(x, y);
    }
}

/// <summary>A dense row-major matrix as an operator (the oracle in tests; small content matrices).</summary>
public sealed class DenseOperator(double[,] a) : ILinearOperator
{
    public int Size { get; } = a.GetLength(0) == a.GetLength(1)
        ? a.GetLength(0)
        : throw new ArgumentException("a dense operator must be square");

    public double[,] Matrix => a;

    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < Size; i++)
        {
            double s = 0;
            for (int j = 0; j < Size; j++) s += a[i, j] * x[j];
            y[i] = s;
        }
    }

    public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y)
    {
        y.Clear();
        for (int i = 0; i < Size; i++)
        {
            double xi = x[i];
            for (int j = 0; j < Size; j++) y[j] += a[i, j] * xi;
        }
    }
}

/// <summary>
/// U Vᵀ (n×r factors) in O(n r) per product: the content Gram Q Kᵀ, and RoPE logits, which are the Gram of the
/// rotated factors (D_u A D_u* per frequency, paper.md (I-2)), so neither is ever formed at large n.
/// </summary>
public sealed class LowRankOperator : ILinearOperator
{
    private readonly double[,] _u;
    private readonly double[,] _v;

    public LowRankOperator(double[,] u, double[,] v, double scale = 1.0)
    {
        if (u.GetLength(0) != v.GetLength(0) || u.GetLength(1) != v.GetLength(1))
            throw new ArgumentException("U and V must have the same shape");
        _u = u;
        _v = v;
        Scale = scale;
    }

    public int Size => _u.GetLength(0);
    public int Rank => _u.GetLength(1);
    public double Scale { get; }

    /// <summary>‖s U Vᵀ‖_F = |s| √tr((UᵀU)(VᵀV)), in O(n r²) without forming the matrix.</summary>
    public double FrobeniusNorm()
    {
        int n = Size, r = Rank;
        double sum = 0;
        for (int a = 0; a < r; a++)
            for (int b = 0; b < r; b++)
            {
                double uu = 0, vv = 0;
                for (int i = 0; i < n; i++)
                {
                    uu += _u[i, a] * _u[i, b];
                    vv += _v[i, a] * _v[i, b];
                }
                sum += uu * vv;
            }
        return Math.Abs(Scale) * Math.Sqrt(Math.Max(0, sum));
    }

    public void Apply(ReadOnlySpan<double> x, Span<double> y) => Multiply(_u, _v, x, y);
    public void ApplyTranspose(ReadOnlySpan<double> x, Span<double> y) => Multiply(_v, _u, x, y);

    private void Multiply(double[,] left, double[,] right, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = Size, r = Rank;
        var t = new double[r];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < r; k++) t[k] += right[i, k] * x[i];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int k = 0; k < r; k++) s += left[i, k] * t[k];
            y[i] = Scale * s;
        }
    }
}
