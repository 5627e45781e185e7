using System.Numerics;

namespace PeTools.Core.Spectral;

/// <summary>How ALiBi slopes are chosen: the paper's released code, or the ALiBi paper's geometric sequence.</summary>
public enum AlibiSlopes
{
    /// <summary>m_h = exp(−h/H), h = 0…H−1 (paper.md §3, the released code).</summary>
    Paper,
    /// <summary>m_h = 2^(−8(h+1)/H) (Press et al.).</summary>
    Standard,
}

/// <summary>
/// The positional matrices of paper.md §2–§3, as Toeplitz symbols (first column/row) or explicit kernels.
/// Each is a pure function of (n, d, base, slope, bucket values): nothing here is learned.
/// </summary>
public static class PositionalMatrices
{
    public const double DefaultBase = 10000;

    /// <summary>θ_t = base^(−2t/d) for t = 0 … d/2 − 1 (one per complex pair of a d-dimensional head).</summary>
    public static double[] RopeFrequencies(int dHead, double @base = DefaultBase)
    {
        if (dHead < 2 || dHead % 2 != 0) throw new ArgumentException($"RoPE needs an even head dimension ≥ 2, got {dHead}");
        return Enumerable.Range(0, dHead / 2).Select(t => Math.Pow(@base, -2.0 * t / dHead)).ToArray();
    }

    /// <summary>u_m = e^{i m θ}: G_e = u u* (rank one, unit diagonal, PSD).</summary>
    public static Complex[] RopePhases(int n, double theta) =>
        Enumerable.Range(0, n).Select(m => Complex.FromPolarCoordinates(1, m * theta)).ToArray();

    /// <summary>The single-frequency kernel (G_e)_{mn} = e^{i(m−n)θ}, built as a Hermitian Toeplitz matrix.</summary>
    public static Complex[,] RopeKernel(int n, double theta) =>
        Toeplitz.Hermitian(Enumerable.Range(0, n).Select(k => Complex.FromPolarCoordinates(1, k * theta)).ToArray());

    /// <summary>Σ_t cos(k θ_t), k = 0 … n−1: the symbol of Re Σ_t G_e^(t) (RoPE's kernel on unit content).</summary>
    public static double[] RopeRealKernelSymbol(int n, int dHead, double @base = DefaultBase) =>
        CosineSumSymbol(n, RopeFrequencies(dHead, @base));

    /// <summary>Interleaved sinusoidal encoding: P[i, 2j] = sin(i ω_j), P[i, 2j+1] = cos(i ω_j), ω_j = base^(−2j/d).</summary>
    public static double[,] SinusoidalEncoding(int n, int dModel, double @base = DefaultBase)
    {
        var omega = RopeFrequencies(dModel, @base);
        var p = new double[n, dModel];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < omega.Length; j++)
            {
                p[i, 2 * j] = Math.Sin(i * omega[j]);
                p[i, 2 * j + 1] = Math.Cos(i * omega[j]);
            }
        return p;
    }

    /// <summary>
    /// The symbol of P Pᵀ: sin a sin b + cos a cos b = cos(a − b), so (P Pᵀ)_ij = Σ_j cos((i−k)ω_j) is Toeplitz,
    /// the same form as RoPE's real kernel with d_model in place of d_head.
    /// </summary>
    public static double[] SinusoidalGramSymbol(int n, int dModel, double @base = DefaultBase) =>
        CosineSumSymbol(n, RopeFrequencies(dModel, @base));

    public static double AlibiSlope(int head, int heads, AlibiSlopes style)
    {
        if (heads < 1 || head < 0 || head >= heads) throw new ArgumentException($"head {head} is not in 0…{heads - 1}");
        return style switch
        {
            AlibiSlopes.Paper => Math.Exp(-(double)head / heads),
            AlibiSlopes.Standard => Math.Pow(2, -8.0 * (head + 1) / heads),
            _ => throw new ArgumentOutOfRangeException(nameof(style)),
        };
    }

    /// <summary>B_ij = −m |i − j| (symmetric: the released model has no causal mask).</summary>
    public static double[] AlibiSymbol(int n, double slope) =>
        Enumerable.Range(0, n).Select(k => -slope * k).ToArray();

    /// <summary>
    /// T5's relative-position bucket for relative_position = j − i (key minus query), as in the reference
    /// implementation: half the buckets per direction when bidirectional, exact below max_exact = buckets/2,
    /// logarithmic up to max_distance. The logarithm is taken in float32 like the reference (torch) code, so
    /// bucket edges agree exactly (e.g. distance 16 → bucket 10, not 9).
    /// </summary>
    public static int T5Bucket(int relativePosition, bool bidirectional = true, int numBuckets = 32, int maxDistance = 128)
    {
        int bucket = 0;
        int rp;
        if (bidirectional)
        {
            numBuckets /= 2;
            if (relativePosition > 0) bucket += numBuckets;
            rp = Math.Abs(relativePosition);
        }
        else
        {
            rp = -Math.Min(relativePosition, 0);
        }
        int maxExact = numBuckets / 2;
        if (rp < maxExact) return bucket + rp;
        float ratio = MathF.Log((float)rp / maxExact) / MathF.Log((float)maxDistance / maxExact) * (numBuckets - maxExact);
        int large = Math.Min(maxExact + (int)ratio, numBuckets - 1);
        return bucket + large;
    }

    /// <summary>B_ij = values[bucket(j − i)]: Toeplitz, not symmetric (the two directions use different buckets).</summary>
    public static (double[] Column, double[] Row) T5Bias(int n, ReadOnlySpan<double> bucketValues, int numBuckets = 32, int maxDistance = 128)
    {
        if (bucketValues.Length != numBuckets) throw new ArgumentException($"T5 needs {numBuckets} bucket values, got {bucketValues.Length}");
        var column = new double[n];
        var row = new double[n];
        for (int k = 0; k < n; k++)
        {
            column[k] = bucketValues[T5Bucket(-k, true, numBuckets, maxDistance)]; // i − j = k: key to the left
            row[k] = bucketValues[T5Bucket(k, true, numBuckets, maxDistance)];
        }
        return (column, row);
    }

    private static double[] CosineSumSymbol(int n, double[] frequencies)
    {
        var s = new double[n];
        for (int k = 0; k < n; k++)
            foreach (var w in frequencies) s[k] += Math.Cos(k * w);
        return s;
    }
}
