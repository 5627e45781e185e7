namespace PeTools.Core.Tables;

/// <summary>Tables of pe-heads.</summary>
public static partial class Schemas
{
    public static class AblationColumns
    {
        public const string Layer = "layer";
        public const string Head = "head";
        public const string Mode = "mode";
        public const string Scope = "scope";
        public const string Split = "split";
        public const string BaselineAccuracy = "baseline_accuracy";
        public const string Accuracy = "accuracy";
        public const string AccuracyDrop = "accuracy_drop";
        public const string BaselineLoss = "baseline_loss";
        public const string Loss = "loss";
        public const string LossIncrease = "loss_increase";
    }

    /// <summary>Head ablation: one row per (layer, head) ablated (pe-heads ablate; paper Figs. 4, 5, 7).</summary>
    public static readonly TableSchema Ablation = new("head-ablation", "accuracy and loss with one head ablated (pe-heads ablate)",
    [
        new(AblationColumns.Layer, ColumnType.Int32, "0-based layer (the paper's layer 1 is 0)"),
        new(AblationColumns.Head, ColumnType.Int32, "0-based head (the paper's head 2 is 1)"),
        new(AblationColumns.Mode, ColumnType.String, "zero (the paper's W_V-row zeroing), mean or resample"),
        new(AblationColumns.Scope, ColumnType.String, "head: only this head ablated; all-but-head: every other head of the layer ablated"),
        new(AblationColumns.Split, ColumnType.String, "the rows evaluated: all (the paper's whole dataset) or a split name"),
        new(AblationColumns.BaselineAccuracy, ColumnType.Float64, "accuracy of the intact model"),
        new(AblationColumns.Accuracy, ColumnType.Float64, "accuracy with the ablation"),
        new(AblationColumns.AccuracyDrop, ColumnType.Float64, "baseline_accuracy - accuracy"),
        new(AblationColumns.BaselineLoss, ColumnType.Float64, "mean cross-entropy of the intact model"),
        new(AblationColumns.Loss, ColumnType.Float64, "mean cross-entropy with the ablation"),
        new(AblationColumns.LossIncrease, ColumnType.Float64, "loss - baseline_loss"),
    ]);

    public static class DepositColumns
    {
        public const string Layer = "layer";
        public const string Mode = "mode";
        public const string Scope = "scope";
        public const string Split = "split";
        public const string Heads = "heads";
        public const string BaselineAccuracy = "baseline_accuracy";
        public const string TopHead = "top_head";
        public const string TopDrop = "top_drop";
        public const string RunnerUpHead = "runner_up_head";
        public const string RunnerUpDrop = "runner_up_drop";
        public const string Margin = "margin";
        public const string Concentration = "concentration";
        public const string Gini = "gini";
        public const string MedianDrop = "median_drop";
        public const string Pattern = "pattern";
    }

    /// <summary>The deposit as numbers: one row per (layer, mode, scope, split) of an ablation table (pe-heads deposit).</summary>
    public static readonly TableSchema Deposit = new("deposit", "per-layer summary of head-ablation drops (pe-heads deposit)",
    [
        new(DepositColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(DepositColumns.Mode, ColumnType.String, "ablation mode of the rows summarised"),
        new(DepositColumns.Scope, ColumnType.String, "ablation scope of the rows summarised"),
        new(DepositColumns.Split, ColumnType.String, "rows evaluated"),
        new(DepositColumns.Heads, ColumnType.Int32, "heads in the layer"),
        new(DepositColumns.BaselineAccuracy, ColumnType.Float64, "accuracy of the intact model"),
        new(DepositColumns.TopHead, ColumnType.Int32, "head with the largest accuracy drop (lowest index on ties)"),
        new(DepositColumns.TopDrop, ColumnType.Float64, "its accuracy drop"),
        new(DepositColumns.RunnerUpHead, ColumnType.Int32, "head with the second-largest drop (-1 with one head)"),
        new(DepositColumns.RunnerUpDrop, ColumnType.Float64, "its drop (0 with one head)"),
        new(DepositColumns.Margin, ColumnType.Float64, "top_drop - runner_up_drop (paper Thm 6.1's Margin_l)"),
        new(DepositColumns.Concentration, ColumnType.Float64, "top_drop / sum of positive drops (0 when no drop is positive)"),
        new(DepositColumns.Gini, ColumnType.Float64, "Gini coefficient of max(drop, 0) over the heads: 0 equal, (H-1)/H one head"),
        new(DepositColumns.MedianDrop, ColumnType.Float64, "median drop over the heads"),
        new(DepositColumns.Pattern, ColumnType.String, "deposit, shock, spread or average (thresholds: pe-heads deposit --help); n/a for all-but-head"),
    ]);

    public static class AttentionMapColumns
    {
        public const string Layer = "layer";
        public const string Head = "head";
        public const string Query = "query";
        public const string Key = "key";
        public const string Weight = "weight";
        public const string Sequences = "sequences";
    }

    /// <summary>Mean attention pattern per head (pe-heads maps).</summary>
    public static readonly TableSchema AttentionMap = new("attention-map", "mean attention weight per (layer, head, query, key) (pe-heads maps)",
    [
        new(AttentionMapColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(AttentionMapColumns.Head, ColumnType.Int32, "0-based head"),
        new(AttentionMapColumns.Query, ColumnType.Int32, "query position (0-based)"),
        new(AttentionMapColumns.Key, ColumnType.Int32, "key position (0-based)"),
        new(AttentionMapColumns.Weight, ColumnType.Float64, "mean softmax weight over the sequences in which both positions hold real tokens"),
        new(AttentionMapColumns.Sequences, ColumnType.Int64, "how many sequences the mean is over"),
    ]);

    public static class HeadStatsColumns
    {
        public const string Layer = "layer";
        public const string Head = "head";
        public const string Split = "split";
        public const string Entropy = "entropy";
        public const string MeanDistance = "mean_distance";
        public const string ToeplitzShare = "toeplitz_share";
        public const string FirstTokenMass = "first_token_mass";
        public const string LastTokenMass = "last_token_mass";
    }

    /// <summary>Per-head attention statistics (pe-heads stats).</summary>
    public static readonly TableSchema HeadStats = new("head-stats", "attention statistics per (layer, head) (pe-heads stats)",
    [
        new(HeadStatsColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(HeadStatsColumns.Head, ColumnType.Int32, "0-based head"),
        new(HeadStatsColumns.Split, ColumnType.String, "rows evaluated"),
        new(HeadStatsColumns.Entropy, ColumnType.Float64, "attention entropy in nats, mean over real query positions"),
        new(HeadStatsColumns.MeanDistance, ColumnType.Float64, "sum_j a_ij |i - j|, mean over real query positions"),
        new(HeadStatsColumns.ToeplitzShare, ColumnType.Float64, "share of the logits' energy (real positions) in their diagonal-average (Toeplitz) projection"),
        new(HeadStatsColumns.FirstTokenMass, ColumnType.Float64, "attention on the first token, mean over real query positions"),
        new(HeadStatsColumns.LastTokenMass, ColumnType.Float64, "attention on the last real token, mean over real query positions"),
    ]);

    public static class PositionalVectorsColumns
    {
        public const string Layer = "layer";
        public const string Kind = "kind";
        public const string Stat = "stat";
        public const string Draw = "draw";
        public const string Accuracy = "accuracy";
        public const string BaselineAccuracy = "baseline_accuracy";
    }

    /// <summary>Accuracy with positional or norm-matched random vectors subtracted at a layer's input (pe-heads posvec; paper Fig. 8).</summary>
    public static readonly TableSchema PositionalVectors = new("positional-vectors", "p_i vs random-vector removal per layer (pe-heads posvec)",
    [
        new(PositionalVectorsColumns.Layer, ColumnType.Int32, "0-based layer at whose input (resid_pre) the vectors are subtracted"),
        new(PositionalVectorsColumns.Kind, ColumnType.String, "positional (the PE's own p_i) or random (norm-matched per position)"),
        new(PositionalVectorsColumns.Stat, ColumnType.String, "draw (one evaluation), mean or std (over the random draws)"),
        new(PositionalVectorsColumns.Draw, ColumnType.Int32, "draw index; -1 on mean and std rows"),
        new(PositionalVectorsColumns.Accuracy, ColumnType.Float64, "accuracy (or its mean / sample std over draws)"),
        new(PositionalVectorsColumns.BaselineAccuracy, ColumnType.Float64, "accuracy of the intact model"),
    ]);

    public static class DynamicsColumns
    {
        public const string Step = "step";
        public const string Layer = "layer";
        public const string Head = "head";
        public const string BaselineAccuracy = "baseline_accuracy";
        public const string Drop = "drop";
        public const string TopHead = "top_head";
        public const string TopDrop = "top_drop";
        public const string RunnerUpDrop = "runner_up_drop";
        public const string Margin = "margin";
        public const string Gamma = "gamma";
        public const string Amplified = "amplified";
        public const string FinalTopHead = "final_top_head";
        public const string DepositStep = "deposit_step";
    }

    /// <summary>Zero-ablation drop of every head at every snapshot of a run (pe-heads dynamics).</summary>
    public static readonly TableSchema DynamicsDrops = new("dynamics-drops", "per-head zero-ablation drop per training step (pe-heads dynamics)",
    [
        new(DynamicsColumns.Step, ColumnType.Int64, "optimizer steps taken when the weights were saved"),
        new(DynamicsColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(DynamicsColumns.Head, ColumnType.Int32, "0-based head"),
        new(DynamicsColumns.BaselineAccuracy, ColumnType.Float64, "accuracy of the intact model at this step"),
        new(DynamicsColumns.Drop, ColumnType.Float64, "accuracy drop when this head is zero-ablated"),
    ]);

    /// <summary>The deposit and paper Thm 6.1's margins per (step, layer) (pe-heads dynamics --summary).</summary>
    public static readonly TableSchema DynamicsSummary = new("dynamics-summary", "top head, margin and layer gain per (step, layer) (pe-heads dynamics)",
    [
        new(DynamicsColumns.Step, ColumnType.Int64, "optimizer steps taken"),
        new(DynamicsColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(DynamicsColumns.TopHead, ColumnType.Int32, "head with the largest drop"),
        new(DynamicsColumns.TopDrop, ColumnType.Float64, "its drop"),
        new(DynamicsColumns.RunnerUpDrop, ColumnType.Float64, "second-largest drop"),
        new(DynamicsColumns.Margin, ColumnType.Float64, "top_drop - runner_up_drop (Margin_l)"),
        new(DynamicsColumns.Gamma, ColumnType.Float64, "Margin_l / Margin_(l+1); NaN in the last layer or when both are 0"),
        new(DynamicsColumns.Amplified, ColumnType.Int32, "1 when gamma_k > 1 for every k from l to L-2 (Thm 6.1's condition; 1 in the last layer)"),
        new(DynamicsColumns.FinalTopHead, ColumnType.Int32, "top head of this layer in the final model"),
        new(DynamicsColumns.DepositStep, ColumnType.Int64, "first step at which final_top_head is top with drop >= --threshold; -1 if never"),
    ]);

    public static class TriggerAttentionColumns
    {
        public const string Layer = "layer";
        public const string Head = "head";
        public const string FromToken = "from_token";
        public const string ToToken = "to_token";
        public const string Weight = "weight";
        public const string Uniform = "uniform";
        public const string Ratio = "ratio";
        public const string Sequences = "sequences";
    }

    /// <summary>Attention from one trigger token to the other (pe-heads pattern; paper §9 opportunity 10).</summary>
    public static readonly TableSchema TriggerAttention = new("trigger-attention", "attention between the two trigger tokens (pe-heads pattern)",
    [
        new(TriggerAttentionColumns.Layer, ColumnType.Int32, "0-based layer"),
        new(TriggerAttentionColumns.Head, ColumnType.Int32, "0-based head"),
        new(TriggerAttentionColumns.FromToken, ColumnType.Int32, "token id at the query position"),
        new(TriggerAttentionColumns.ToToken, ColumnType.Int32, "token id at the key position"),
        new(TriggerAttentionColumns.Weight, ColumnType.Float64, "mean attention weight from the one to the other"),
        new(TriggerAttentionColumns.Uniform, ColumnType.Float64, "mean of 1 / (keys the query can see): the uniform baseline 1/T"),
        new(TriggerAttentionColumns.Ratio, ColumnType.Float64, "weight / uniform"),
        new(TriggerAttentionColumns.Sequences, ColumnType.Int64, "sequences holding both triggers once"),
    ]);
}
