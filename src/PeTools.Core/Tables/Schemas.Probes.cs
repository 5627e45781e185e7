namespace PeTools.Core.Tables;

/// <summary>Training-dynamics probes of pe-train (--probe-every): the positional gradient per head (paper.md §4.2).</summary>
public static partial class Schemas
{
    public static class ProbeColumns
    {
        public const string Step = "step";
        public const string Layer = "layer";
        public const string Head = "head";
        public const string Quantity = "quantity";
        public const string Value = "value";

        /// <summary>‖∂L/∂W_Q‖ over the head's rows [h·dh, (h+1)·dh) of q_proj (MLA: of q_up, the up-projection).</summary>
        public const string GradWq = "grad_wq_norm";

        /// <summary>‖∂L/∂W_K‖ over the head's rows of k_proj (MLA: of k_up).</summary>
        public const string GradWk = "grad_wk_norm";

        /// <summary>‖∂L/∂b_h‖ over δ = i − j of a zero relative-position bias added to the head's logits.</summary>
        public const string BiasGrad = "bias_grad_norm";

        /// <summary>‖Σ_b g_b‖ / Σ_b ‖g_b‖ of the per-sample bias gradients g_b: 1 = aligned, ≈ 0 = cancelling.</summary>
        public const string BiasCoherence = "bias_coherence";
    }

    /// <summary>Per-head gradient probes on a fixed batch during training (pe-train --probe-every; Props. 6.1, 6.2).</summary>
    public static readonly TableSchema Probes = new("probes", "per-head gradient probes during training (pe-train --probe-every)",
    [
        new(ProbeColumns.Step, ColumnType.Int64, "optimizer steps taken when probed (0 = at initialisation)"),
        new(ProbeColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(ProbeColumns.Head, ColumnType.Int32, "0-based head"),
        new(ProbeColumns.Quantity, ColumnType.String, "grad_wq_norm, grad_wk_norm, bias_grad_norm or bias_coherence"),
        new(ProbeColumns.Value, ColumnType.Float64, "the quantity, on the probe batch in eval mode (no dropout)"),
    ]);
}
