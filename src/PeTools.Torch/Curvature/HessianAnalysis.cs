using System.Diagnostics;
using System.Globalization;
using PeTools.Core;
using PeTools.Core.Logging;
using PeTools.Core.Spectral;
using PeTools.Torch.Training;
using static TorchSharp.torch;
using Q = PeTools.Core.Tables.Schemas.HessianColumns;

namespace PeTools.Torch.Curvature;

/// <summary>What <see cref="HessianAnalysis"/> computes; a count of 0 skips that quantity. Defaults: PyHessian's counts.</summary>
/// <param name="TopK">largest eigenvalues wanted</param>
/// <param name="LanczosSteps">at most this many HVPs for them</param>
/// <param name="Tolerance">stop when every wanted residual ≤ Tolerance · max|θ|</param>
/// <param name="HutchinsonSamples">Rademacher vectors for the trace</param>
/// <param name="SlqRuns">SLQ start vectors for the density</param>
/// <param name="SlqSteps">Lanczos steps (quadrature nodes) per SLQ run</param>
/// <param name="DensityPoints">grid points of the density</param>
/// <param name="DensityVariance">Gaussian kernel σ² = this · max(1, spectrum range), widened to the grid step if needed</param>
public sealed record HessianSettings(int TopK = 5, int LanczosSteps = 100, double Tolerance = 1e-4, int HutchinsonSamples = 100,
    int SlqRuns = 1, int SlqSteps = 100, int DensityPoints = 1000, double DensityVariance = SpectralDensity.DefaultVarianceFactor);

/// <summary>One measured number: a quantity of <see cref="Core.Tables.Schemas.Hessian"/>, its index (−1 for a scalar) and value.</summary>
public sealed record HessianValue(string Quantity, int Index, double Value);

/// <summary>
/// The loss and gradient norm, top eigenvalues, trace and density of one Hessian (pe-spectrum hessian), with every
/// random vector drawn from seeds named after the quantity: the same seeds at every checkpoint and scope, so curves over
/// a run compare like with like (common random numbers).
/// </summary>
public static class HessianAnalysis
{
    /// <summary>The path every HVP takes, for the log (the "which eigen path" line).</summary>
    public static string Describe(HessianVectorProduct h, HessianSettings s) =>
        $"eigen path: Lanczos with full reorthogonalisation (≤ {s.LanczosSteps} steps, tolerance {s.Tolerance.ToString(CultureInfo.InvariantCulture)}) " +
        "on Hessian-vector products by double backward, attention on its composite path, eval mode (no dropout); " +
        $"trace by Hutchinson ({s.HutchinsonSamples} Rademacher vectors), density by SLQ ({s.SlqRuns} × {s.SlqSteps} steps); " +
        $"{h.DType.ToString().ToLowerInvariant()} on {h.Device}";

    public static List<HessianValue> Measure(HessianVectorProduct h, HessianSettings s, SeedSequence seeds, IRunLog log, string label)
    {
        var values = new List<HessianValue>();
        var clock = Stopwatch.StartNew();
        using (NewDisposeScope())
        {
            var (loss, gradient) = h.LossAndGradient();
            double l = loss.item<double>(), g = gradient.norm().to(ScalarType.Float64).item<double>();
            values.Add(new(Q.Loss, -1, l));
            values.Add(new(Q.GradNorm, -1, g));
            log.Info($"{label}: n = {h.Dimension:N0}, loss {l:G6}, ‖g‖ {g:G4}");
        }
        if (s.TopK > 0)
        {
            var top = HessianSpectrum.Top(h, s.TopK, s.LanczosSteps, s.Tolerance, seeds.For("hessian/lanczos"));
            for (int i = 0; i < top.Values.Length; i++)
            {
                values.Add(new(Q.TopEigenvalue, i, top.Values[i]));
                values.Add(new(Q.TopEigenvalueResidual, i, top.Residuals[i]));
            }
            values.Add(new(Q.MinEigenvalue, 0, top.Min));
            values.Add(new(Q.MinEigenvalueResidual, 0, top.MinResidual));
            values.Add(new(Q.LanczosSteps, -1, top.Steps));
            values.Add(new(Q.LanczosConverged, -1, top.Converged ? 1 : 0));
            log.Info($"{label}: top eigenvalues {string.Join(", ", top.Values.Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))} " +
                     $"(λ_min {top.Min:G4}) in {top.Steps} Lanczos steps, {(top.Converged ? "converged" : "NOT converged")}, " +
                     $"max residual {top.Residuals.DefaultIfEmpty(0).Max():G2} [{clock.Elapsed.TotalSeconds:F1} s]");
            if (!top.Converged) log.Warn($"{label}: top eigenvalues not converged in --lanczos-steps {s.LanczosSteps}; their residual bounds are in the table");
        }
        if (s.HutchinsonSamples > 0)
        {
            var trace = HessianSpectrum.HutchinsonTrace(h, s.HutchinsonSamples, seeds.For("hessian/hutchinson"));
            values.Add(new(Q.Trace, -1, trace.Mean));
            values.Add(new(Q.TraceStderr, -1, trace.StandardError));
            values.Add(new(Q.TraceSamples, -1, trace.Count));
            log.Info($"{label}: trace {trace.Mean:G5} ± {trace.StandardError:G2} ({trace.Count} samples) [{clock.Elapsed.TotalSeconds:F1} s]");
        }
        if (s.SlqRuns > 0)
        {
            var rules = HessianSpectrum.Quadrature(h, s.SlqRuns, s.SlqSteps, seeds.For("hessian/slq"));
            var density = SpectralDensity.Broaden(rules, s.DensityPoints, s.DensityVariance);
            values.Add(new(Q.SlqTrace, -1, h.Dimension * rules.Average(r => r.Mean)));
            for (int i = 0; i < density.Grid.Length; i++)
            {
                values.Add(new(Q.DensityGrid, i, density.Grid[i]));
                values.Add(new(Q.Density, i, density.Density[i]));
            }
            log.Info($"{label}: density on [{density.Grid[0]:G4}, {density.Grid[^1]:G4}], σ {Math.Sqrt(density.Variance):G3}, " +
                     $"integral {density.Integral():F4} [{clock.Elapsed.TotalSeconds:F1} s]");
        }
        return values;
    }

    /// <summary>
    /// The fixed batches of the loss: <paramref name="batches"/> × <paramref name="batchSize"/> rows of
    /// <paramref name="split"/> drawn without replacement by a permutation from <paramref name="random"/> (all rows, in
    /// that order, when the split is smaller), cut into batches. The rows do not depend on the batch size's split of them.
    /// </summary>
    public static List<LossBatch> Batches(SplitTensors split, int batches, int batchSize, Random random)
    {
        long count = split.Count;
        var order = Enumerable.Range(0, (int)count).Select(i => (long)i).ToArray();
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        long rows = Math.Min(count, (long)batches * batchSize);
        var result = new List<LossBatch>();
        for (long start = 0; start < rows; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var index = tensor(order[(int)start..(int)Math.Min(rows, start + batchSize)]).to(split.Tokens.device);
            result.Add(new LossBatch(split.Tokens.index_select(0, index).MoveToOuterDisposeScope(),
                split.Targets.index_select(0, index).MoveToOuterDisposeScope()));
        }
        return result;
    }
}
