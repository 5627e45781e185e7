using PeTools.Core.Tables;
using C = PeTools.Core.Tables.Schemas.HessianColumns;

namespace PeTools.Report.Inputs;

/// <summary>
/// The sharpness table of <c>pe-spectrum hessian</c> (<see cref="Schemas.Hessian"/>) as the report reads it: long
/// format, one measured number per row (top_eigenvalue, trace, ... of the loss Hessian at a training step).
/// </summary>
public static class HessianTable
{
    public static string Kind => Schemas.Hessian.Kind;

    public static class Columns
    {
        public const string Run = C.Run;
        public const string Pe = C.Pe;
        public const string Seed = C.Seed;
        public const string Step = C.Step;
        public const string Epoch = C.Epoch;
        public const string Scope = C.Scope;
        public const string Quantity = C.Quantity;
        public const string Index = C.Index;
        public const string Value = C.Value;
    }

    /// <summary>The quantity the sharpness curves and claim rules read by default.</summary>
    public const string TopEigenvalue = "top_eigenvalue";

    public static TableSchema Schema => Schemas.Hessian;
}
