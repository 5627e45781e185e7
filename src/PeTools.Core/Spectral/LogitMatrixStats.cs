namespace PeTools.Core.Spectral;

/// <summary>
/// Spectral quantities of one real n×n attention-logit matrix (pe-spectrum logits): eigenvalues of the Hermitian part
/// (A + Aᵀ)/2, singular values, and the Toeplitz share. Dense, O(n³); n is a sequence's real length.
/// </summary>
public static class LogitMatrixStats
{
    public const string LambdaMin = "lambda_min";
    public const string LambdaMax = "lambda_max";
    public const string Spread = "spread";
    public const string SpectralNorm = "spectral_norm";
    public const string SigmaMin = "sigma_min";
    public const string ConditionSingular = "condition_singular";
    public const string ConditionHermitian = "condition_hermitian";
    public const string FrobeniusNorm = "frobenius_norm";
    public const string ToeplitzShareName = "toeplitz_share";
    public const string FrobeniusShare = "frobenius_share";

    /// <summary>Every quantity of <paramref name="a"/>, in a fixed order.</summary>
    public static IReadOnlyList<(string Quantity, double Value)> Measure(double[,] a)
    {
        var ev = HouseholderEigenvalues.Compute(DiagonalScaling.SymmetricPart(a));
        var sv = DenseEigen.SingularValues(a);
        var s = new SpectrumSummary(ev[0], ev[^1], sv[0], ev, sv, 0);
        return
        [
            (LambdaMin, s.LambdaMin), (LambdaMax, s.LambdaMax), (Spread, s.Spread),
            (SpectralNorm, s.SigmaMax), (SigmaMin, sv[^1]), (ConditionSingular, s.ConditionSingular!.Value),
            (ConditionHermitian, s.ConditionHermitian!.Value), (FrobeniusNorm, DenseEigen.FrobeniusNorm(a)),
            (ToeplitzShareName, ToeplitzShare(a)),
        ];
    }

    /// <summary>
    /// ‖T(A)‖²_F / ‖A‖²_F, where T(A) is the orthogonal projection of A onto Toeplitz matrices: each diagonal
    /// replaced by its mean. 1 exactly when A is Toeplitz (ALiBi, T5); NaN for the zero matrix.
    /// </summary>
    public static double ToeplitzShare(double[,] a)
    {
        int n = a.GetLength(0);
        if (a.GetLength(1) != n) throw new ArgumentException("a square matrix is required", nameof(a));
        double projected = 0, total = 0;
        for (int offset = -(n - 1); offset <= n - 1; offset++)
        {
            int i0 = Math.Max(0, -offset), count = n - Math.Abs(offset);
            double sum = 0;
            for (int k = 0; k < count; k++)
            {
                double x = a[i0 + k, i0 + k + offset];
                sum += x;
                total += x * x;
            }
            projected += sum * sum / count; // count · mean²
        }
        return total == 0 ? double.NaN : projected / total;
    }

    /// <summary>‖part‖²_F / ‖whole‖²_F (cross terms make the shares of a sum not add to 1).</summary>
    public static double EnergyShare(double[,] part, double[,] whole)
    {
        double p = DenseEigen.FrobeniusNorm(part), w = DenseEigen.FrobeniusNorm(whole);
        return w == 0 ? double.NaN : p * p / (w * w);
    }
}

/// <summary>Mean and sample standard deviation per key over the finite values added (+∞ condition numbers are counted apart).</summary>
public sealed class MeanAccumulator<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, (int N, double Sum, double SumSq, int Infinite)> _stats = [];
    private readonly List<TKey> _order = [];

    public void Add(TKey key, double value)
    {
        if (!_stats.TryGetValue(key, out var s)) _order.Add(key);
        if (!double.IsFinite(value)) s.Infinite++;
        else { s.N++; s.Sum += value; s.SumSq += value * value; }
        _stats[key] = s;
    }

    /// <summary>(key, finite count, mean, std) in first-added order; mean is NaN when no value was finite.</summary>
    public IEnumerable<(TKey Key, int Finite, double Mean, double Std)> Results()
    {
        foreach (var key in _order)
        {
            var (n, sum, sumSq, _) = _stats[key];
            double mean = n == 0 ? double.NaN : sum / n;
            double std = n < 2 ? (n == 1 ? 0 : double.NaN) : Math.Sqrt(Math.Max(0, (sumSq - n * mean * mean) / (n - 1)));
            yield return (key, n, mean, std);
        }
    }
}
