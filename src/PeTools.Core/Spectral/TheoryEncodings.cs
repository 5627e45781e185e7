namespace PeTools.Core.Spectral;

/// <summary>How position meets content in the logit (paper.md §3).</summary>
public enum Coupling
{
    None,
    Additive,
    Multiplicative,
}

/// <summary>Sizes and constants shared by every PE's matrices.</summary>
/// <param name="PositionToContent">
/// null: every PE at its natural scale (ALiBi slope, unit-amplitude sinusoids, the given T5 bucket values).
/// A number r: the position part is rescaled to r times the content part's Frobenius norm (‖B‖_F = r ‖Q Kᵀ/√d‖_F
/// for logit biases, ‖P‖_F = r ‖X‖_F for input encodings); multiplicative RoPE has no separate part to scale.
/// </param>
public sealed record TheorySetup(int N, int DHead, int DModel, double Base, int Head, int Heads, double[] T5Buckets, double? PositionToContent);

/// <summary>The seeded random draw every PE of one instance shares, so comparisons across PEs are paired.</summary>
public sealed record ContentDraw(double[,] X, double[,] WQ, double[,] WK)
{
    public static ContentDraw Sample(int n, int dModel, int dHead, Random random) => new(
        ContentInstance.Gaussian(random, n, dModel, 1),
        ContentInstance.Gaussian(random, dModel, dHead, 1 / Math.Sqrt(dModel)),
        ContentInstance.Gaussian(random, dModel, dHead, 1 / Math.Sqrt(dModel)));

    public ContentInstance Content(double[,]? position = null, double positionToContent = 1) =>
        ContentInstance.FromParts(X, WQ, WK, position, positionToContent);
}

/// <summary>
/// The matrices of one PE on one content draw. Logit = Content + PositionPart for additive PEs (Weyl applies);
/// for RoPE the logit is Re Σ_t A^(t) ∘ G_e^(t) and PositionPart is null.
/// </summary>
public sealed record PeMatrices(
    ILinearOperator? Kernel,
    double[]? KernelSymmetricSymbol,
    ContentInstance ContentParts,
    LowRankOperator Content,
    ILinearOperator Logit,
    ILinearOperator? PositionPart);

/// <summary>One PE of the theory registry: key, coupling, a line of help, and how its matrices are built.</summary>
public sealed record TheoryEncoding(string Key, Coupling Coupling, string Description, Func<TheorySetup, ContentDraw, PeMatrices> Build);

/// <summary>The registry behind --pe of pe-spectrum: one line per PE (STYLE.md §1).</summary>
public static class TheoryEncodings
{
    public static readonly IReadOnlyList<TheoryEncoding> All =
    [
        new("nope", Coupling.None, "no position: the logit is the content Gram Q Kᵀ/√d", (s, d) =>
        {
            var c = d.Content();
            var a = ContentLogits.Content(c);
            return new PeMatrices(null, null, c, a, a, null);
        }),
        new("rope", Coupling.Multiplicative, "RoPE: Re Σ_t A^(t) ∘ G_e^(t), θ_t = base^(−2t/d_head)", (s, d) =>
        {
            var c = d.Content();
            var kernel = PositionalMatrices.RopeRealKernelSymbol(s.N, s.DHead, s.Base);
            return new PeMatrices(FftToeplitzOperator.Symmetric(kernel), kernel, c, ContentLogits.Content(c),
                ContentLogits.Rope(c, PositionalMatrices.RopeFrequencies(s.DHead, s.Base)), null);
        }),
        new("sinusoidal", Coupling.Additive, "sinusoidal input encoding (interleaved sin/cos, d_model): Q = (X + P) W_Q", (s, d) =>
        {
            var p = PositionalMatrices.SinusoidalEncoding(s.N, s.DModel, s.Base);
            var c = d.Content();
            var withP = s.PositionToContent is { } r
                ? d.Content(p, r)
                : ContentInstance.FromParts(d.X, d.WQ, d.WK, p, DenseEigen.FrobeniusNorm(p) / DenseEigen.FrobeniusNorm(d.X));
            var a = ContentLogits.Content(c);
            var logit = ContentLogits.Content(withP);
            var kernel = PositionalMatrices.SinusoidalGramSymbol(s.N, s.DModel, s.Base);
            return new PeMatrices(FftToeplitzOperator.Symmetric(kernel), kernel, c, a, logit,
                Operators.Sum(logit, Operators.Scale(a, -1)));
        }),
        Bias("alibi", "ALiBi as the paper's code: B = −m|i−j|, m_h = exp(−h/H)",
            s => Symmetric(PositionalMatrices.AlibiSymbol(s.N, PositionalMatrices.AlibiSlope(s.Head, s.Heads, AlibiSlopes.Paper)))),
        Bias("alibi-std", "ALiBi with the standard slopes m_h = 2^(−8(h+1)/H)",
            s => Symmetric(PositionalMatrices.AlibiSymbol(s.N, PositionalMatrices.AlibiSlope(s.Head, s.Heads, AlibiSlopes.Standard)))),
        Bias("t5", "T5 bucketed relative bias (32 buckets, max distance 128, bidirectional)",
            s => PositionalMatrices.T5Bias(s.N, s.T5Buckets)),
    ];

    public static IReadOnlyList<string> Keys => All.Select(e => e.Key).ToArray();

    public static TheoryEncoding? Find(string key) => All.FirstOrDefault(e => e.Key == key);

    private static (double[], double[]) Symmetric(double[] symbol) => (symbol, symbol);

    private static TheoryEncoding Bias(string key, string description, Func<TheorySetup, (double[] Column, double[] Row)> toeplitz) =>
        new(key, Coupling.Additive, description, (s, d) =>
        {
            var c = d.Content();
            var a = ContentLogits.Content(c);
            var (column, row) = toeplitz(s);
            if (s.PositionToContent is { } r)
            {
                double scale = r * a.FrobeniusNorm() / ToeplitzFrobenius(column, row);
                column = column.Select(v => v * scale).ToArray();
                row = row.Select(v => v * scale).ToArray();
            }
            var b = new FftToeplitzOperator(column, row);
            return new PeMatrices(b, SpectralBounds.SymmetricSymbol(column, row), c, a, Operators.Sum(a, b), b);
        });

    /// <summary>‖T‖_F² = n t_0² + Σ_{k≥1} (n − k)(c_k² + r_k²).</summary>
    public static double ToeplitzFrobenius(ReadOnlySpan<double> column, ReadOnlySpan<double> row)
    {
        int n = column.Length;
        double s = n * column[0] * column[0];
        for (int k = 1; k < n; k++) s += (n - k) * (column[k] * column[k] + row[k] * row[k]);
        return Math.Sqrt(s);
    }
}
