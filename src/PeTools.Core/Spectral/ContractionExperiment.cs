using MathNet.Numerics.Distributions;

namespace PeTools.Core.Spectral;

/// <summary>One cell of the contraction experiment: its sizes and the position-to-content Frobenius ratio.</summary>
public sealed record ContractionCell(int N, int DHead, int DModel, double Base, int Head, int Heads, double PositionToContent);

/// <summary>Mean with a 95% confidence interval, plus the robust summaries a skewed (or infinite) statistic needs.</summary>
public sealed record StatisticSummary(double Mean, double CiLow, double CiHigh, double Median, double Std, int Finite, int Count);

/// <summary>
/// Paper claim C19 as numbers. Each instance draws X, W_Q, W_K (and T5 bucket values) once and builds every PE's
/// logit from that same draw, so the comparison is paired. What is matched: the position part has Frobenius norm
/// r · (content part) (see <see cref="TheorySetup.PositionToContent"/>), and every logit is then divided by its own
/// Frobenius norm, so spread and σ_max are per unit of logit energy; condition numbers are scale-free anyway.
/// </summary>
public static class ContractionExperiment
{
    public static readonly IReadOnlyList<string> Statistics =
    [
        "spread", "spread_vs_content", "condition_hermitian", "condition_singular", "sigma_max",
        "lambda_min", "lambda_max", "numerical_rank", "bound_holds", "similarity_defect",
    ];

    /// <summary>Values[pe][statistic][instance]; similarity_defect only for multiplicative PEs.</summary>
    public static Dictionary<string, Dictionary<string, double[]>> Run(ContractionCell cell, IReadOnlyList<TheoryEncoding> pes,
        int instances, SeedSequence seeds, int parallelism)
    {
        var perInstance = new Dictionary<string, Dictionary<string, double>>[instances];
        Parallel.For(0, instances, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) },
            i => perInstance[i] = Instance(cell, pes, seeds.Child($"n{cell.N}/d{cell.DHead}/instance{i}")));
        var result = new Dictionary<string, Dictionary<string, double[]>>();
        foreach (var pe in pes)
        {
            result[pe.Key] = new Dictionary<string, double[]>();
            foreach (var stat in perInstance[0][pe.Key].Keys)
                result[pe.Key][stat] = perInstance.Select(d => d[pe.Key][stat]).ToArray();
        }
        return result;
    }

    private static Dictionary<string, Dictionary<string, double>> Instance(ContractionCell cell, IReadOnlyList<TheoryEncoding> pes, SeedSequence seeds)
    {
        var draw = ContentDraw.Sample(cell.N, cell.DModel, cell.DHead, seeds.Random("content"));
        var buckets = ContentInstance.Gaussian(seeds.Random("t5-buckets"), 1, 32, 1).Cast<double>().ToArray();
        var setup = new TheorySetup(cell.N, cell.DHead, cell.DModel, cell.Base, cell.Head, cell.Heads, buckets, cell.PositionToContent);
        var solver = new DenseSpectrumSolver();
        var result = new Dictionary<string, Dictionary<string, double>>();
        double? contentSpread = null;
        foreach (var pe in pes)
        {
            var m = pe.Build(setup, draw);
            var logit = solver.Analyse(m.Logit);
            double frobenius = Math.Sqrt(logit.SingularValues!.Sum(s => s * s));
            if (contentSpread is null)
            {
                var c = Operators.ToDense(m.Content);
                var ev = HouseholderEigenvalues.Compute(c);
                contentSpread = (ev[^1] - ev[0]) / DenseEigen.FrobeniusNorm(c);
            }
            var stats = new Dictionary<string, double>
            {
                ["spread"] = logit.Spread / frobenius,
                ["spread_vs_content"] = logit.Spread / frobenius / contentSpread.Value,
                ["condition_hermitian"] = logit.ConditionHermitian!.Value,
                ["condition_singular"] = logit.ConditionSingular!.Value,
                ["sigma_max"] = logit.SigmaMax / frobenius,
                ["lambda_min"] = logit.LambdaMin / frobenius,
                ["lambda_max"] = logit.LambdaMax / frobenius,
                ["numerical_rank"] = logit.NumericalRank!.Value,
                ["bound_holds"] = BoundHolds(pe, m, logit) ? 1 : 0,
            };
            if (pe.Coupling == Coupling.Multiplicative)
            {
                int t = seeds.Random("similarity-frequency").Next(cell.DHead / 2);
                stats["similarity_defect"] = SimilarityDefect(m.ContentParts, t, PositionalMatrices.RopeFrequencies(cell.DHead, cell.Base)[t]);
            }
            result[pe.Key] = stats;
        }
        return result;
    }

    /// <summary>Schur per frequency for RoPE and NoPE; Weyl (content + position part) for additive PEs.</summary>
    private static bool BoundHolds(TheoryEncoding pe, PeMatrices m, SpectrumSummary logit)
    {
        Interval bound;
        if (pe.Coupling == Coupling.Additive)
        {
            // Eigenvalues only: the singular values of the two parts are not needed for Weyl.
            var a = HouseholderEigenvalues.Compute(Operators.ToDense(m.Content));
            var b = HouseholderEigenvalues.Compute(Operators.ToDense(m.PositionPart!));
            bound = SpectralBounds.Weyl(new Interval(a[0], a[^1]), new Interval(b[0], b[^1]));
        }
        else
        {
            bound = ContentLogits.FrequencyBound(m.ContentParts);
        }
        return bound.Contains(logit.LambdaMin, logit.LambdaMax, 1e-9);
    }

    /// <summary>(I-2) for frequency t: max_i |λ_i(H(A^(t)) ∘ G_e^(t)) − λ_i(H(A^(t)))| / max|λ|.</summary>
    public static double SimilarityDefect(ContentInstance c, int t, double theta)
    {
        var a = ContentLogits.FrequencyGram(c, t);
        var before = DenseEigen.HermitianEigenvalues(a);
        var after = DenseEigen.HermitianEigenvalues(DiagonalScaling.HadamardProduct(a, PositionalMatrices.RopeKernel(c.N, theta)));
        double scale = Math.Max(double.Epsilon, before.Max(Math.Abs));
        return before.Zip(after).Max(p => Math.Abs(p.First - p.Second)) / scale;
    }

    /// <summary>
    /// Mean and 95% CI over the finite values: percentile bootstrap (<paramref name="resamples"/> draws from
    /// <paramref name="random"/>) or, with resamples = 0, Student t. Median counts +∞ (it sorts last).
    /// </summary>
    public static StatisticSummary Summarise(double[] values, Random random, int resamples)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        double median = sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
        if (finite.Length == 0) return new(double.NaN, double.NaN, double.NaN, median, double.NaN, 0, values.Length);
        double mean = finite.Average();
        double std = finite.Length > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)) : 0;
        double low, high;
        if (finite.Length == 1)
        {
            low = high = mean;
        }
        else if (resamples > 0)
        {
            var means = new double[resamples];
            for (int r = 0; r < resamples; r++)
            {
                double s = 0;
                for (int i = 0; i < finite.Length; i++) s += finite[random.Next(finite.Length)];
                means[r] = s / finite.Length;
            }
            Array.Sort(means);
            low = means[(int)Math.Floor(0.025 * (resamples - 1))];
            high = means[(int)Math.Ceiling(0.975 * (resamples - 1))];
        }
        else
        {
            double half = StudentT.InvCDF(0, 1, finite.Length - 1, 0.975) * std / Math.Sqrt(finite.Length);
            low = mean - half;
            high = mean + half;
        }
        return new(mean, low, high, median, std, finite.Length, values.Length);
    }
}
