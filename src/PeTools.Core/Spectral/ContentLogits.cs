using System.Numerics;

namespace PeTools.Core.Spectral;

/// <summary>
/// One seeded random content instance (paper.md §2): X ~ N(0, 1) of shape n × d_model, W_Q, W_K ~ N(0, 1/d_model),
/// Q = (X + P) W_Q and K = (X + P) W_K, P an optional additive input encoding (zero for content only).
/// </summary>
public sealed class ContentInstance
{
    private ContentInstance(double[,] q, double[,] k)
    {
        Q = q;
        K = k;
    }

    /// <summary>n × d_head query rows q_m.</summary>
    public double[,] Q { get; }
    /// <summary>n × d_head key rows k_n.</summary>
    public double[,] K { get; }
    public int N => Q.GetLength(0);
    public int DHead => Q.GetLength(1);

    /// <summary>
    /// Draws X, W_Q, W_K from <paramref name="random"/> (in that order). When <paramref name="position"/> is given it is
    /// added to X after scaling by <paramref name="positionToContent"/> · ‖X‖_F / ‖P‖_F, i.e. the position part gets
    /// exactly that Frobenius norm relative to the content part.
    /// </summary>
    public static ContentInstance Sample(int n, int dModel, int dHead, Random random, double[,]? position = null, double positionToContent = 1)
    {
        var x = Gaussian(random, n, dModel, 1);
        var wq = Gaussian(random, dModel, dHead, 1 / Math.Sqrt(dModel));
        var wk = Gaussian(random, dModel, dHead, 1 / Math.Sqrt(dModel));
        return FromParts(x, wq, wk, position, positionToContent);
    }

    /// <summary>The same content and weights with another additive input encoding (paired comparisons).</summary>
    public static ContentInstance FromParts(double[,] x, double[,] wq, double[,] wk, double[,]? position, double positionToContent)
    {
        if (position is not null)
        {
            double s = positionToContent * DenseEigen.FrobeniusNorm(x) / DenseEigen.FrobeniusNorm(position);
            var xp = (double[,])x.Clone();
            for (int i = 0; i < x.GetLength(0); i++)
                for (int j = 0; j < x.GetLength(1); j++) xp[i, j] += s * position[i, j];
            x = xp;
        }
        return new ContentInstance(MatMul(x, wq), MatMul(x, wk));
    }

    public static double[,] Gaussian(Random random, int rows, int cols, double std)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                m[i, j] = std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            }
        return m;
    }

    private static double[,] MatMul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i, p];
                for (int j = 0; j < m; j++) c[i, j] += aip * b[p, j];
            }
        return c;
    }
}

/// <summary>
/// Logit matrices built from a <see cref="ContentInstance"/>, scaled by 1/√d_head as in attention (paper.md §2).
/// Content and RoPE logits are operators on factors (O(n d) products); the literal Hadamard form is kept for tests.
/// </summary>
public static class ContentLogits
{
    /// <summary>A = Q Kᵀ / √d: the NoPE logit and the content Gram G_{q,k}.</summary>
    public static LowRankOperator Content(ContentInstance c) => new(c.Q, c.K, 1 / Math.Sqrt(c.DHead));

    /// <summary>
    /// L_RoPE = Re Σ_t A^(t) ∘ G_e^(t). Because G_e^(t) = u u*, A^(t) ∘ G_e^(t) = D_u A^(t) D_u*, which is the Gram of
    /// the rotated pairs q_m^(t) e^{imθ_t}: so L_RoPE = Q̃ K̃ᵀ / √d, a rank-d operator (the RoPE implementation itself).
    /// </summary>
    public static LowRankOperator Rope(ContentInstance c, double[] theta) =>
        new(Rotate(c.Q, theta), Rotate(c.K, theta), 1 / Math.Sqrt(c.DHead));

    /// <summary>The per-frequency complex Gram A^(t) = q^(t) k^(t)* / √d, q^(t)_m = Q[m, 2t] + i Q[m, 2t+1].</summary>
    public static Complex[,] FrequencyGram(ContentInstance c, int t)
    {
        var q = Pair(c.Q, t);
        var k = Pair(c.K, t);
        double s = 1 / Math.Sqrt(c.DHead);
        var a = new Complex[c.N, c.N];
        for (int m = 0; m < c.N; m++)
            for (int n = 0; n < c.N; n++) a[m, n] = s * q[m] * Complex.Conjugate(k[n]);
        return a;
    }

    /// <summary>Re Σ_t A^(t) ∘ G_e^(t) formed entry by entry: the paper's definition, the oracle for <see cref="Rope"/>.</summary>
    public static double[,] RopeByHadamard(ContentInstance c, double[] theta)
    {
        var l = new double[c.N, c.N];
        for (int t = 0; t < theta.Length; t++)
        {
            var term = DiagonalScaling.HadamardProduct(FrequencyGram(c, t), PositionalMatrices.RopeKernel(c.N, theta[t]));
            for (int m = 0; m < c.N; m++)
                for (int n = 0; n < c.N; n++) l[m, n] += term[m, n].Real;
        }
        return l;
    }

    /// <summary>
    /// Schur per frequency, then Weyl over the sum: H(A^(t) ∘ G_e^(t)) = H(A^(t)) ∘ G_e^(t) has the spectrum of
    /// H(A^(t)) (I-2), whose nonzero eigenvalues are (Re k*q ± ‖q‖‖k‖)/2 (rank two); taking the real part keeps
    /// eigenvalues inside the same range; Weyl adds the ranges over t. Also bounds the NoPE logit (θ = 0).
    /// </summary>
    public static Interval FrequencyBound(ContentInstance c)
    {
        double s = 1 / Math.Sqrt(c.DHead), lower = 0, upper = 0;
        for (int t = 0; t < c.DHead / 2; t++)
        {
            var q = Pair(c.Q, t);
            var k = Pair(c.K, t);
            double qn = Math.Sqrt(q.Sum(z => z.Magnitude * z.Magnitude));
            double kn = Math.Sqrt(k.Sum(z => z.Magnitude * z.Magnitude));
            double re = 0;
            for (int m = 0; m < q.Length; m++) re += (Complex.Conjugate(k[m]) * q[m]).Real;
            lower += s * Math.Min(0, (re - qn * kn) / 2);
            upper += s * Math.Max(0, (re + qn * kn) / 2);
        }
        return new Interval(lower, upper);
    }

    private static Complex[] Pair(double[,] x, int t) =>
        Enumerable.Range(0, x.GetLength(0)).Select(m => new Complex(x[m, 2 * t], x[m, 2 * t + 1])).ToArray();

    private static double[,] Rotate(double[,] x, double[] theta)
    {
        int n = x.GetLength(0);
        if (x.GetLength(1) != 2 * theta.Length) throw new ArgumentException($"{theta.Length} frequencies need a head of {2 * theta.Length}, got {x.GetLength(1)}");
        var r = new double[n, x.GetLength(1)];
        for (int m = 0; m < n; m++)
            for (int t = 0; t < theta.Length; t++)
            {
                double c = Math.Cos(m * theta[t]), s = Math.Sin(m * theta[t]);
                double a = x[m, 2 * t], b = x[m, 2 * t + 1];
                r[m, 2 * t] = a * c - b * s;
                r[m, 2 * t + 1] = a * s + b * c;
            }
        return r;
    }
}
