namespace PeTools.Torch.Training;

public enum Precision
{
    Fp32,
    /// <summary>bf16 compute with fp32 master weights and optimizer state (TorchSharp has no autocast).</summary>
    Bf16,
}

/// <summary>
/// Optimisation settings. Defaults are the paper's reference code (shared/paper/README.md, reference-code.md §4):
/// AdamW lr 1e-4, weight decay 1e-5, betas (0.98, 0.9) as written there (β1 &gt; β2 looks swapped; try
/// (0.9, 0.98) too), batch 512, 100 epochs, 6% linear warm-up then cosine to 0 per step, no clipping,
/// cross-entropy ignoring class 0.
/// </summary>
public sealed record TrainConfig
{
    public int Epochs { get; init; } = 100;
    public int BatchSize { get; init; } = 512;
    public double Lr { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 1e-5;
    public double Beta1 { get; init; } = 0.98;
    public double Beta2 { get; init; } = 0.9;
    public double Eps { get; init; } = 1e-8;
    public double WarmupFraction { get; init; } = 0.06;
    /// <summary>Max global gradient norm; 0 = no clipping (the reference clips nothing).</summary>
    public double ClipNorm { get; init; }
    /// <summary>Class ignored by the loss and accuracy (the reference ignores 0); null = none.</summary>
    public int? IgnoreClass { get; init; } = 0;
    public long Seed { get; init; }
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>
    /// Precision of the evaluation passes: fp32 (the fp32 model; the default, and what configs saved before this
    /// existed mean), or bf16 (the bf16 compute copy with the current master weights, as PyTorch evaluates under
    /// autocast: about 4× less GPU time than fp32 at the paper's config; needs <see cref="Precision"/> bf16).
    /// </summary>
    public Precision EvalPrecision { get; init; } = Precision.Fp32;
    /// <summary>Rows per evaluation batch; 0 = about <see cref="EvalTokensPerBatch"/> tokens a batch (4,096 rows of 128),
    /// never fewer than <see cref="BatchSize"/>. Evaluation keeps no activations for a backward pass, so larger batches
    /// fit, and fewer of them launch fewer kernels (evaluation runs eagerly, without CUDA graphs): a distance-task
    /// evaluation of the paper's config took 0.20 s at 512 rows and 0.14 s at 4,096 on an H200 (bf16).</summary>
    public int EvalBatchSize { get; init; }

    /// <summary>Tokens per evaluation batch when <see cref="EvalBatchSize"/> is 0.</summary>
    public const long EvalTokensPerBatch = 1 << 19;

    /// <summary>Rows per evaluation batch for sequences of <paramref name="length"/> tokens.</summary>
    public int EvalRows(long length) =>
        EvalBatchSize > 0 ? EvalBatchSize : (int)Math.Max(BatchSize, EvalTokensPerBatch / Math.Max(1, length));
    /// <summary>Evaluate every this many epochs (the last epoch always).</summary>
    public int EvalEveryEpochs { get; init; } = 1;
    /// <summary>Keep a snapshot checkpoint every this many steps (for pe-heads dynamics); 0 = only the resume point.</summary>
    public long SaveEverySteps { get; init; }
    /// <summary>Write the resumable checkpoint every this many epochs.</summary>
    public int CheckpointEveryEpochs { get; init; } = 1;
    /// <summary>Stop after this many epochs of this invocation (for running long jobs in chunks); 0 = no limit.</summary>
    public int MaxEpochsThisRun { get; init; }

    /// <summary>
    /// Standard architecture: batches bucketed by length within windows of this many batches, each cut to its longest
    /// row (<see cref="LengthBuckets"/>); 0 = off (the split's padded length for every batch). Off in configs saved
    /// before it existed, so they resume unchanged; pe-train turns it on for new standard runs.
    /// </summary>
    public int BucketWindow { get; init; }
}
