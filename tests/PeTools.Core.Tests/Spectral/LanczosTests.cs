using PeTools.Core.Spectral;
using static PeTools.Core.Tests.Spectral.SpectralAssert;

namespace PeTools.Core.Tests.Spectral;

public class LanczosTests
{
    [Fact]
    public void Lanczos_extremes_equal_dense_evd_on_random_symmetric_toeplitz()
    {
        var rng = new Random(41);
        for (int trial = 0; trial < 12; trial++)
        {
            int n = rng.Next(2, 257);
            var symbol = Vector(rng, n).Select((v, k) => v / (1 + k)).ToArray();
            var dense = DenseEigen.SymmetricEigenvalues(Toeplitz.Symmetric(symbol));
            var r = Lanczos.Extremes(FftToeplitzOperator.Symmetric(symbol), new Random(trial), new LanczosOptions(MaxIterations: 400));
            Assert.True(r.Converged, $"n={n} not converged after {r.Iterations}");
            Close(dense[0], r.Min, 1e-8, $"λ_min n={n}");
            Close(dense[^1], r.Max, 1e-8, $"λ_max n={n}");
        }
    }

    [Fact]
    public void Lanczos_extremes_equal_dense_evd_on_dense_and_low_rank_operators()
    {
        var rng = new Random(42);
        for (int trial = 0; trial < 8; trial++)
        {
            int n = rng.Next(2, 200);
            var a = Symmetric(rng, n);
            var dense = DenseEigen.SymmetricEigenvalues(a);
            var r = Lanczos.Extremes(new DenseOperator(a), new Random(trial), new LanczosOptions(MaxIterations: n));
            Close(dense[0], r.Min, 1e-8, $"dense λ_min n={n}");
            Close(dense[^1], r.Max, 1e-8, $"dense λ_max n={n}");

            // A rank-r operator: Lanczos stops at an invariant subspace after about 2r + 1 steps.
            int rank = rng.Next(1, 8);
            var u = ContentInstance.Gaussian(rng, n, rank, 1);
            var v = ContentInstance.Gaussian(rng, n, rank, 1);
            var low = new LowRankOperator(u, v);
            var lowDense = DenseEigen.SymmetricEigenvalues(Operators.ToDense(low));
            var lr = Lanczos.Extremes(Operators.HermitianPart(low), new Random(trial));
            Close(lowDense[0], lr.Min, 1e-8, $"low-rank λ_min n={n}");
            Close(lowDense[^1], lr.Max, 1e-8, $"low-rank λ_max n={n}");
        }
    }

    [Fact]
    public void Lanczos_reports_the_residual_bound_it_stopped_on()
    {
        var symbol = PositionalMatrices.AlibiSymbol(128, 1.0);
        var r = Lanczos.Extremes(FftToeplitzOperator.Symmetric(symbol), new Random(1), new LanczosOptions(Tolerance: 1e-10));
        double scale = Math.Max(Math.Abs(r.Min), Math.Abs(r.Max));
        Assert.True(r.Converged);
        Assert.True(r.ResidualMin <= 1e-10 * scale && r.ResidualMax <= 1e-10 * scale);
        Assert.True(r.Iterations < 128, $"well separated extremes should converge early, took {r.Iterations}");
    }

    [Fact]
    public void Tridiagonal_ql_matches_dense_evd()
    {
        var rng = new Random(43);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 60);
            var d = Vector(rng, n);
            var e = Vector(rng, n);
            var t = new double[n, n];
            for (int i = 0; i < n; i++) t[i, i] = d[i];
            for (int i = 0; i + 1 < n; i++) t[i, i + 1] = t[i + 1, i] = e[i];
            var (values, firstRow, lastRow) = TridiagonalEigen.Solve(d, e);
            AllClose(DenseEigen.SymmetricEigenvalues(t), values, 1e-11, $"n={n}");
            Close(1.0, lastRow.Sum(z => z * z), 1e-11, "last row of an orthogonal matrix has unit norm");
            Close(1.0, firstRow.Sum(z => z * z), 1e-11, "first row of an orthogonal matrix has unit norm");
            // Σ_j s_0j² θ_j = (Z Λ Zᵀ)_00 = T_00 = d_0, and Σ_j s_0j s_(n−1)j θ_j = T_0,(n−1) (0 unless n ≤ 2).
            Close(d[0], firstRow.Select((z, j) => z * z * values[j]).Sum(), 1e-10, "first moment of the weights is T_00");
            Close(n == 2 ? e[0] : n == 1 ? d[0] : 0, firstRow.Select((z, j) => z * lastRow[j] * values[j]).Sum(), 1e-10, "T_0,n−1");
        }
    }

    [Fact]
    public void Structured_solver_agrees_with_dense_solver_on_a_logit_with_a_bias()
    {
        var rng = new Random(44);
        foreach (int n in new[] { 16, 100, 256 })
        {
            var content = ContentInstance.Sample(n, 32, 16, rng);
            var (col, row) = PositionalMatrices.T5Bias(n, Vector(rng, 32));
            var logit = Operators.Sum(ContentLogits.Content(content), new FftToeplitzOperator(col, row));
            var dense = new DenseSpectrumSolver().Analyse(logit);
            var structured = new StructuredSpectrumSolver(new Random(1), new LanczosOptions(MaxIterations: n)).Analyse(logit);
            Close(dense.LambdaMin, structured.LambdaMin, 1e-8, $"λ_min n={n}");
            Close(dense.LambdaMax, structured.LambdaMax, 1e-8, $"λ_max n={n}");
            Close(dense.SigmaMax, structured.SigmaMax, 1e-8, $"σ_max n={n}");
        }
    }

    [Fact]
    public void Structured_summary_carries_the_certificate_and_flags_a_capped_run()
    {
        var rng = new Random(45);
        var a = new DenseOperator(Symmetric(rng, 120));
        var capped = new StructuredSpectrumSolver(new Random(1), new LanczosOptions(MaxIterations: 4)).Analyse(a);
        Assert.False(capped.Converged);
        Assert.True(capped.ResidualBound > 1e-6, $"{capped.ResidualBound}");
        var full = new StructuredSpectrumSolver(new Random(1), new LanczosOptions(MaxIterations: 120)).Analyse(a);
        Assert.True(full.Converged);
        var dense = DenseEigen.SymmetricEigenvalues(a.Matrix);
        // The certificate is honest: the capped extremes are within ResidualBound · max|λ| of true eigenvalues.
        double scale = Math.Max(Math.Abs(capped.LambdaMin), Math.Abs(capped.LambdaMax));
        Assert.True(Math.Abs(capped.LambdaMax - dense[^1]) <= capped.ResidualBound * scale + 1e-12);
    }
}
