using MathNet.Numerics.LinearAlgebra;
using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class LanczosQuadratureTests
{
    /// <summary>Plain dense Lanczos with full reorthogonalisation from <paramref name="v"/>: α, β of k steps.</summary>
    private static (List<double> Alpha, List<double> Beta) Coefficients(double[,] a, double[] v, int k)
    {
        int n = v.Length;
        var basis = new List<double[]>();
        var (alpha, beta) = (new List<double>(), new List<double>());
        var q = Scaled(v, 1 / Math.Sqrt(v.Sum(x => x * x)));
        for (int step = 0; step < k; step++)
        {
            basis.Add(q);
            var w = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) w[i] += a[i, j] * q[j];
            alpha.Add(Dot(q, w));
            for (int pass = 0; pass < 2; pass++)
                foreach (var b in basis)
                {
                    double c = Dot(b, w);
                    for (int i = 0; i < n; i++) w[i] -= c * b[i];
                }
            double norm = Math.Sqrt(Dot(w, w));
            beta.Add(norm);
            q = Scaled(w, 1 / norm);
        }
        return (alpha, beta);
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (p, q) => p * q).Sum();
    private static double[] Scaled(double[] x, double c) => x.Select(p => p * c).ToArray();

    [Fact]
    public void A_full_run_rule_is_the_exact_spectral_measure_of_the_start_vector()
    {
        // Given a random symmetric 40×40 matrix and a random start vector
        var rng = new Random(7);
        const int n = 40;
        var a = Symmetric(rng, n);
        var v = Vector(rng, n);

        // When n Lanczos steps give a quadrature rule
        var (alpha, beta) = Coefficients(a, v, n);
        var rule = QuadratureRule.FromLanczos(alpha, beta);

        // Then nodes are A's eigenvalues and weights are (u_jᵀ v̂)², from MathNet's eigenvectors
        var evd = Matrix<double>.Build.DenseOfArray(a).Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderBy(j => evd.EigenValues[j].Real).ToArray();
        var unit = Scaled(v, 1 / Math.Sqrt(Dot(v, v)));
        AllClose(order.Select(j => evd.EigenValues[j].Real).ToArray(), rule.Nodes, 1e-10, "nodes");
        AllClose(order.Select(j => Math.Pow(Dot(evd.EigenVectors.Column(j).ToArray(), unit), 2)).ToArray(), rule.Weights, 1e-9, "weights");
        Close(1.0, rule.Weights.Sum(), 1e-12, "weights sum to 1");
        Close(alpha[0], rule.Mean, 1e-10, "first moment is the Rayleigh quotient");
    }

    [Fact]
    public void Broadened_density_integrates_to_one_and_keeps_the_rules_mean()
    {
        // Given three 12-step rules of one random matrix (spectrum range ≈ 30)
        var rng = new Random(8);
        var a = Symmetric(rng, 60);
        var rules = Enumerable.Range(0, 3).Select(_ => Coefficients(a, Vector(rng, 60), 12))
            .Select(c => QuadratureRule.FromLanczos(c.Alpha, c.Beta)).ToList();

        foreach (int points in new[] { 16, 200, 5000 })
        {
            // When they are broadened on grids coarse and fine
            var d = SpectralDensity.Broaden(rules, points);

            // Then the grid covers every node with room to spare, the kernel spans at least a grid step,
            // the integral is 1 and the first moment is the mean of the rules' means
            double step = d.Grid[1] - d.Grid[0];
            Assert.Equal(points, d.Grid.Length);
            Assert.True(d.Grid[0] < rules.Min(r => r.Nodes.Min()) && d.Grid[^1] > rules.Max(r => r.Nodes.Max()));
            Assert.True(Math.Sqrt(d.Variance) >= step * (1 - 1e-12), $"σ {Math.Sqrt(d.Variance)} < step {step}");
            Close(1.0, d.Integral(), 1e-6, $"integral, {points} points");
            Close(rules.Average(r => r.Mean), d.FirstMoment(), 1e-6, $"first moment, {points} points");
            Assert.All(d.Density, x => Assert.True(x >= 0));
        }
    }

    [Fact]
    public void Fine_grids_keep_PyHessians_kernel_variance()
    {
        // Given one rule with nodes 0 and 10 (range 10)
        var rule = new QuadratureRule([0.0, 10.0], [0.5, 0.5]);

        // When it is broadened on 100,000 points (step ≈ 1e-4, finer than σ = √(1e-5 · 10) = 0.01)
        var d = SpectralDensity.Broaden([rule], 100_000);

        // Then σ² is PyHessian's 1e-5 · max(1, range)
        Assert.Equal(1e-4, d.Variance, 12);
    }

    [Fact]
    public void Sample_mean_has_the_textbook_standard_error()
    {
        var m = SampleMean.Of([1.0, 2.0, 3.0, 4.0]);
        Assert.Equal(2.5, m.Mean, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3 / 4), m.StandardError, 12);
        Assert.True(double.IsNaN(SampleMean.Of([1.0]).StandardError));
    }
}
