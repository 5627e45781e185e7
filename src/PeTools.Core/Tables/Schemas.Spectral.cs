namespace PeTools.Core.Tables;

/// <summary>Tables of pe-spectrum.</summary>
public static partial class Schemas
{

    public static class SpectrumColumns
    {
        public const string Pe = "pe";
        public const string N = "n";
        public const string DHead = "d_head";
        public const string DModel = "d_model";
        public const string Seed = "seed";
        public const string Solver = "solver";
        public const string Matrix = "matrix";
        public const string Quantity = "quantity";
        public const string Index = "index";
        public const string Value = "value";
        public const string Bound = "bound";
        public const string BoundValue = "bound_value";
    }

    /// <summary>Spectra of PE kernels and logit matrices, long format: one measured number per row.</summary>
    public static readonly TableSchema Spectrum = new("spectrum", "eigen/singular values of PE matrices, bounds beside them (pe-spectrum theory)",
    [
        new(SpectrumColumns.Pe, ColumnType.String, "positional encoding: rope, sinusoidal, alibi, alibi-std, t5, nope"),
        new(SpectrumColumns.N, ColumnType.Int32, "sequence length (matrix size n×n)"),
        new(SpectrumColumns.DHead, ColumnType.Int32, "head dimension d_head"),
        new(SpectrumColumns.DModel, ColumnType.Int32, "model width of the random content X (n × d_model)"),
        new(SpectrumColumns.Seed, ColumnType.Int64, "--seed of the random content and T5 bucket values"),
        new(SpectrumColumns.Solver, ColumnType.String, "dense (MathNet EVD/SVD, every eigenvalue) or structured (FFT/low-rank products + Lanczos, extremes only)"),
        new(SpectrumColumns.Matrix, ColumnType.String, "kernel (the PE's positional matrix), content (Q Kᵀ/√d, the NoPE logit) or logit (the PE's logit)"),
        new(SpectrumColumns.Quantity, ColumnType.String, "eigenvalue, singular_value, lambda_min, lambda_max, spread, spectral_norm, frobenius_norm, condition_hermitian, condition_singular, numerical_rank, similarity_defect, residual_bound and iterations (structured: Lanczos certificate relative to max|λ|); eigenvalues are of the Hermitian part"),
        new(SpectrumColumns.Index, ColumnType.Int32, "0-based position in the ascending eigenvalues / descending singular values, the frequency t for similarity_defect, −1 for a scalar"),
        new(SpectrumColumns.Value, ColumnType.Float64, "the measured value (+∞ for the condition number of a numerically singular matrix)"),
        new(SpectrumColumns.Bound, ColumnType.String, "none, or the theorem whose bound is in bound_value: schur_per_frequency, weyl, grenander_szego, gershgorin, frobenius"),
        new(SpectrumColumns.BoundValue, ColumnType.Float64, "the bound's lower end (for lambda_min) or upper end (for lambda_max); NaN when bound is none"),
    ]);

    public static class ContractionColumns
    {
        public const string Pe = "pe";
        public const string Coupling = "coupling";
        public const string N = "n";
        public const string DHead = "d_head";
        public const string DModel = "d_model";
        public const string Norm = "norm";
        public const string Instances = "instances";
        public const string Statistic = "statistic";
        public const string Mean = "mean";
        public const string CiLow = "ci_low";
        public const string CiHigh = "ci_high";
        public const string Median = "median";
        public const string Std = "std";
        public const string Finite = "finite";
    }

    /// <summary>Distribution of spectral statistics over seeded random content at matched norms (paper claim C19).</summary>
    public static readonly TableSchema Contraction = new("contraction", "spread and conditioning of logits, multiplicative vs additive coupling (pe-spectrum contraction)",
    [
        new(ContractionColumns.Pe, ColumnType.String, "positional encoding (nope is the content-only baseline)"),
        new(ContractionColumns.Coupling, ColumnType.String, "none, multiplicative or additive"),
        new(ContractionColumns.N, ColumnType.Int32, "sequence length"),
        new(ContractionColumns.DHead, ColumnType.Int32, "head dimension"),
        new(ContractionColumns.DModel, ColumnType.Int32, "model width of the random content"),
        new(ContractionColumns.Norm, ColumnType.String, "what was matched: position part at the given Frobenius ratio to content, every logit then scaled to unit Frobenius norm"),
        new(ContractionColumns.Instances, ColumnType.Int32, "number of seeded content instances"),
        new(ContractionColumns.Statistic, ColumnType.String, "spread, condition_hermitian, condition_singular, spread_vs_content, sigma_max, lambda_min, lambda_max, bound_holds, similarity_defect, numerical_rank"),
        new(ContractionColumns.Mean, ColumnType.Float64, "mean over the finite values"),
        new(ContractionColumns.CiLow, ColumnType.Float64, "95% CI lower end for the mean (percentile bootstrap, or Student t)"),
        new(ContractionColumns.CiHigh, ColumnType.Float64, "95% CI upper end"),
        new(ContractionColumns.Median, ColumnType.Float64, "median over all values (+∞ counted)"),
        new(ContractionColumns.Std, ColumnType.Float64, "sample standard deviation of the finite values"),
        new(ContractionColumns.Finite, ColumnType.Int32, "how many of the instances gave a finite value"),
    ]);

    public static class HessianColumns
    {
        public const string Run = "run";
        public const string Pe = "pe";
        public const string Task = "task";
        public const string Seed = "seed";
        public const string Step = "step";
        public const string Epoch = "epoch";
        public const string Scope = "scope";
        public const string Dimension = "dimension";
        public const string Quantity = "quantity";
        public const string Index = "index";
        public const string Value = "value";

        /// <summary>L on the fixed batches (index −1).</summary>
        public const string Loss = "loss";

        /// <summary>‖∂L/∂θ_S‖ over the scope (index −1).</summary>
        public const string GradNorm = "grad_norm";

        /// <summary>The i-th largest eigenvalue (index i = 0, 1, ...), by Lanczos.</summary>
        public const string TopEigenvalue = "top_eigenvalue";

        /// <summary>Its Lanczos residual bound: a true eigenvalue lies within this of it (index i).</summary>
        public const string TopEigenvalueResidual = "top_eigenvalue_residual";

        /// <summary>The smallest eigenvalue (most negative curvature; index 0) and its bound.</summary>
        public const string MinEigenvalue = "min_eigenvalue";
        public const string MinEigenvalueResidual = "min_eigenvalue_residual";

        /// <summary>Lanczos steps (HVPs) the top eigenvalues took, and 1 if they met --tolerance, else 0 (index −1).</summary>
        public const string LanczosSteps = "lanczos_steps";
        public const string LanczosConverged = "lanczos_converged";

        /// <summary>Hutchinson's trace estimate, its standard error and sample count (index −1).</summary>
        public const string Trace = "trace";
        public const string TraceStderr = "trace_stderr";
        public const string TraceSamples = "trace_samples";

        /// <summary>dimension × the SLQ density's mean (index −1): a second trace estimate, from the density's runs.</summary>
        public const string SlqTrace = "slq_trace";

        /// <summary>The SLQ eigenvalue density at grid point i, and grid point i itself (index i).</summary>
        public const string Density = "density";
        public const string DensityGrid = "density_grid";
    }

    /// <summary>Curvature of the training loss at a run's checkpoints (pe-spectrum hessian; paper claim C20).</summary>
    public static readonly TableSchema Hessian = new("hessian", "training-loss Hessian at a run's checkpoints: top eigenvalues, trace, density (pe-spectrum hessian)",
    [
        new(HessianColumns.Run, ColumnType.String, "the run directory's name"),
        new(HessianColumns.Pe, ColumnType.String, "the run's positional encoding"),
        new(HessianColumns.Task, ColumnType.String, "the run's training data file, without folder and extension (as pe-train sweep names runs)"),
        new(HessianColumns.Seed, ColumnType.Int64, "the run's training seed (pe-train --seed)"),
        new(HessianColumns.Step, ColumnType.Int64, "optimizer steps of the weights measured (−1 when unknown)"),
        new(HessianColumns.Epoch, ColumnType.Float64, "epochs done at that step (NaN when the run has no checkpoint to say)"),
        new(HessianColumns.Scope, ColumnType.String, "parameters the Hessian is over: model, pe, layer:L (block L) or layer:L:attn (its attention projections), each layer scope with the PE's layer-L parameters"),
        new(HessianColumns.Dimension, ColumnType.Int64, "n, the number of parameters in the scope (the Hessian is n × n)"),
        new(HessianColumns.Quantity, ColumnType.String, "loss, grad_norm, top_eigenvalue, top_eigenvalue_residual, min_eigenvalue, min_eigenvalue_residual, lanczos_steps, lanczos_converged, trace, trace_stderr, trace_samples, slq_trace, density, density_grid"),
        new(HessianColumns.Index, ColumnType.Int32, "i for top_eigenvalue(_residual) (0 = largest) and density/density_grid (grid point), 0 for min_eigenvalue(_residual), −1 for a scalar"),
        new(HessianColumns.Value, ColumnType.Float64, "the value"),
    ]);
}
