using PeTools.Core.Spectral;
using PeTools.Torch.Curvature;
using PeTools.Torch.Model;
using static TorchSharp.torch;

namespace PeTools.Torch.Tests.Curvature;

/// <summary>One tiny model's Hessian, dense (n HVPs with unit vectors) and its MathNet eigenvalues: the oracle.</summary>
public sealed class DenseHessian : IDisposable
{
    private readonly OneThread _threads = new();

    public DenseHessian()
    {
        Model = Small.Model(Small.Config("relative"));
        Hvp = new HessianVectorProduct(Model, CurvatureScope.Parse("model", Model), Small.Batches(Model.Config), ignoreClass: 0);
        (Matrix, Asymmetry) = Small.Dense(Hvp);
        NumericsProvider.Select();
        Eigenvalues = DenseEigen.SymmetricEigenvalues(Matrix);
        for (int i = 0; i < Hvp.Dimension; i++) Trace += Matrix[i, i];
    }

    public Transformer Model { get; }
    public HessianVectorProduct Hvp { get; }
    public double[,] Matrix { get; }
    public double Asymmetry { get; }
    public double[] Eigenvalues { get; }
    public double Trace { get; }
    public double Scale => Math.Max(Math.Abs(Eigenvalues[0]), Math.Abs(Eigenvalues[^1]));

    public void Dispose()
    {
        Model.Dispose();
        _threads.Dispose();
    }
}

/// <summary>Top eigenvalues, Hutchinson's trace and the SLQ density against the dense Hessian of a tiny model.</summary>
public class HessianSpectrumTests(DenseHessian dense) : OneThread, IClassFixture<DenseHessian>
{
    [Fact]
    public void The_dense_hessian_is_symmetric_and_indefinite()
    {
        // Double backward gives H e_j column by column; symmetry is a check of that, not an assumption
        Assert.True(dense.Asymmetry < 1e-12, $"max |H − Hᵀ| / max |H| = {dense.Asymmetry:E2}");
        Assert.True(dense.Eigenvalues[^1] > 0 && dense.Eigenvalues[0] < 0, "a random network's Hessian has both signs");
    }

    [Fact]
    public void Lanczos_top_eigenvalues_equal_the_dense_ones()
    {
        // When the top 5 come from Lanczos on HVPs, far fewer steps than n
        var top = HessianSpectrum.Top(dense.Hvp, k: 5, maxSteps: 150, tolerance: 1e-12, seed: 1);

        // Then they are the 5 largest dense eigenvalues to 1e-9 of the spectral radius, and the minimum is the smallest
        Assert.True(top.Converged, $"not converged in {top.Steps} steps");
        Assert.True(top.Steps < dense.Hvp.Dimension / 2, $"{top.Steps} steps for n = {dense.Hvp.Dimension}");
        var expected = dense.Eigenvalues.Reverse().Take(5).ToArray();
        for (int i = 0; i < 5; i++)
        {
            Assert.True(Math.Abs(expected[i] - top.Values[i]) <= 1e-9 * dense.Scale, $"λ{i}: {expected[i]} vs {top.Values[i]}");
            Assert.True(top.Residuals[i] <= 1e-12 * dense.Scale * 1.0001);
        }
        Assert.True(Math.Abs(dense.Eigenvalues[0] - top.Min) <= Math.Max(top.MinResidual, 1e-9 * dense.Scale), $"λ_min {dense.Eigenvalues[0]} vs {top.Min} ± {top.MinResidual}");
    }

    [Fact]
    public void A_capped_run_reports_honest_residual_bounds()
    {
        // When Lanczos is stopped after 6 steps
        var top = HessianSpectrum.Top(dense.Hvp, k: 3, maxSteps: 6, tolerance: 1e-12, seed: 2);

        // Then it says so, and each value is within its residual of a true eigenvalue
        Assert.False(top.Converged);
        Assert.Equal(6, top.Steps);
        for (int i = 0; i < 3; i++)
            Assert.True(dense.Eigenvalues.Min(l => Math.Abs(l - top.Values[i])) <= top.Residuals[i] * (1 + 1e-9) + 1e-12);
    }

    [Fact]
    public void Hutchinson_trace_is_within_three_standard_errors_of_the_exact_trace_and_seeded()
    {
        var estimate = HessianSpectrum.HutchinsonTrace(dense.Hvp, samples: 100, seed: 3);
        var again = HessianSpectrum.HutchinsonTrace(dense.Hvp, samples: 100, seed: 3);
        var other = HessianSpectrum.HutchinsonTrace(dense.Hvp, samples: 100, seed: 4);

        Assert.Equal(100, estimate.Count);
        Assert.True(estimate.StandardError > 0);
        Assert.True(Math.Abs(estimate.Mean - dense.Trace) <= 3 * estimate.StandardError,
            $"trace {dense.Trace} vs {estimate.Mean} ± {estimate.StandardError}");
        Assert.Equal(estimate, again);
        Assert.NotEqual(estimate.Mean, other.Mean);
    }

    [Fact]
    public void Slq_density_integrates_to_one_and_its_mean_times_n_is_the_trace()
    {
        // When 10 SLQ runs of 40 steps are broadened on a grid
        var rules = HessianSpectrum.Quadrature(dense.Hvp, runs: 10, steps: 40, seed: 5);
        var density = SpectralDensity.Broaden(rules, 2000);
        long n = dense.Hvp.Dimension;

        // Then the density integrates to 1 and holds the rules' mean (quadrature only) ...
        Assert.Equal(1.0, density.Integral(), 6);
        Assert.True(Math.Abs(density.FirstMoment() - rules.Average(r => r.Mean)) <= 1e-6 * dense.Scale);

        // ... and n × that mean estimates the trace: each run's n·vᵀHv/‖v‖² is a Hutchinson sample (Rademacher v)
        var perRun = SampleMean.Of(rules.Select(r => n * r.Mean).ToList());
        Assert.True(Math.Abs(n * density.FirstMoment() - dense.Trace) <= 3 * perRun.StandardError,
            $"trace {dense.Trace} vs {n * density.FirstMoment()} ± {perRun.StandardError}");

        // ... and each rule's extreme nodes lie inside the spectrum (Ritz values interlace)
        Assert.All(rules, r => Assert.InRange(r.Nodes[^1], dense.Eigenvalues[0] - 1e-9, dense.Eigenvalues[^1] + 1e-9));
    }
}
