using PeTools.Core.Tables;

namespace PeTools.Report.Inputs;

/// <summary>
/// The sharpness table of <c>pe-spectrum hessian</c>, which is being written beside pe-report. Until its schema lands
/// in <see cref="Schemas"/>, this is the one place its expected columns are written down: long format, one measured
/// number per row (top_eigenvalue, trace, ... of the loss Hessian at a training step). When <see cref="Schemas.All"/>
/// gains a kind named <see cref="Kind"/>, that declaration wins and only the column names below need to agree.
/// Only pe, step, quantity and value are required; the section groups by whatever else is present.
/// </summary>
public static class HessianTable
{
    public const string Kind = "hessian";

    public static class Columns
    {
        public const string Run = "run";
        public const string Pe = "pe";
        public const string Seed = "seed";
        public const string Step = "step";
        public const string Epoch = "epoch";
        public const string Scope = "scope";
        public const string Quantity = "quantity";
        public const string Index = "index";
        public const string Value = "value";
    }

    /// <summary>The quantity the sharpness curves and claim rules read by default.</summary>
    public const string TopEigenvalue = "top_eigenvalue";

    private static readonly TableSchema Provisional = new(Kind, "loss-Hessian sharpness per training step (pe-spectrum hessian; provisional in pe-report)",
    [
        new(Columns.Run, ColumnType.String, "run name", Required: false),
        new(Columns.Pe, ColumnType.String, "positional encoding"),
        new(Columns.Seed, ColumnType.Int64, "training seed", Required: false),
        new(Columns.Step, ColumnType.Int64, "optimizer steps taken"),
        new(Columns.Epoch, ColumnType.Float64, "epochs completed", Required: false),
        new(Columns.Scope, ColumnType.String, "model, or the parameter group measured", Required: false),
        new(Columns.Quantity, ColumnType.String, "top_eigenvalue, trace, ..."),
        new(Columns.Index, ColumnType.Int32, "eigenvalue index (0 = largest), -1 for a scalar", Required: false),
        new(Columns.Value, ColumnType.Float64, "the measured value"),
    ]);

    /// <summary>The declared schema when PeTools.Core has one, else the provisional one above.</summary>
    public static TableSchema Schema => Schemas.All.FirstOrDefault(s => s.Kind == Kind) ?? Provisional;
}
