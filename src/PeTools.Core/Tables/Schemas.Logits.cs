namespace PeTools.Core.Tables;

/// <summary>The table of pe-spectrum logits.</summary>
public static partial class Schemas
{
    public static class LogitSpectrumColumns
    {
        public const string Pe = "pe";
        public const string Layer = "layer";
        public const string Head = "head";
        public const string Split = "split";
        public const string Sequences = "sequences";
        public const string Matrix = "matrix";
        public const string Quantity = "quantity";
        public const string Mean = "mean";
        public const string Std = "std";
    }

    /// <summary>Spectra of a trained model's attention logits per (layer, head), averaged over real sequences.</summary>
    public static readonly TableSchema LogitSpectrum = new("logit-spectrum", "spectra of trained attention logits per layer and head (pe-spectrum logits)",
    [
        new(LogitSpectrumColumns.Pe, ColumnType.String, "the run's positional encoding"),
        new(LogitSpectrumColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(LogitSpectrumColumns.Head, ColumnType.Int32, "0-based head"),
        new(LogitSpectrumColumns.Split, ColumnType.String, "the dataset split evaluated (all = every row)"),
        new(LogitSpectrumColumns.Sequences, ColumnType.Int32, "sequences whose value was finite (the mean's sample size)"),
        new(LogitSpectrumColumns.Matrix, ColumnType.String, "trained-logit (QKᵀ/√d_head + B on the real positions), or logit-part:q-kc, logit-part:q-kp, logit-part:bias (paper.md §2; the query side is not split, LN1 is not linear), logit-part:sum (for reconstruction_error = ‖L − Σ parts‖/‖L‖)"),
        new(LogitSpectrumColumns.Quantity, ColumnType.String, "lambda_min, lambda_max, spread (Hermitian part), spectral_norm, sigma_min, condition_singular, condition_hermitian, frobenius_norm, toeplitz_share; for parts frobenius_share (‖part‖²/‖L‖²), toeplitz_share and reconstruction_error"),
        new(LogitSpectrumColumns.Mean, ColumnType.Float64, "mean over the sequences"),
        new(LogitSpectrumColumns.Std, ColumnType.Float64, "sample standard deviation over the sequences (0 for one)"),
    ]);
}
