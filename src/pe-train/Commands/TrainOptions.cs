using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Torch.Model;
using PeTools.Torch.Positional;
using PeTools.Torch.Training;

namespace PeTools.Train.Commands;

/// <summary>
/// pe-train's options and their binding to <see cref="TransformerConfig"/> and <see cref="TrainConfig"/>. Every default
/// comes from those records (the paper's reference code), so help text and behaviour cannot drift apart.
/// </summary>
internal sealed class TrainOptions
{
    private static readonly TransformerConfig M = new();
    private static readonly TrainConfig T = new();

    /// <summary>The standard architecture's --bucket-window when none is given.</summary>
    public const int DefaultBucketWindow = 32;

    public readonly Option<string> Data = new("--data", "-d") { Description = "dataset table from pe-gen-task (.parquet/.csv, - for stdin)", Required = true, HelpName = "FILE" };
    public readonly Option<string?> Format = CommonOptions.Format();
    public readonly Option<string> Out = new("--out") { Description = "run directory: config.json, checkpoint/, model.safetensors, metrics.parquet", Required = true, HelpName = "DIR" };
    public readonly Option<string?> Metrics = new("--metrics") { Description = "metrics table (default DIR/metrics.parquet; - for stdout as CSV)", HelpName = "FILE" };
    public readonly Option<bool> Resume = new("--resume") { Description = "continue the run in --out from its checkpoint (bit-exact on CPU)" };

    public readonly Option<string> Pe = new("--pe") { Description = "positional encoding (see pe-train list-pe)", DefaultValueFactory = _ => M.Pe };
    public readonly Option<string> Arch = new("--arch") { Description = "reference (the paper's code, exactly) or standard (pre-LN, masked padding)", DefaultValueFactory = _ => "reference" };
    public readonly Option<string> Attention = new("--attention") { Description = "mha or mla (DeepSeek-V3 latent attention, decoupled RoPE)", DefaultValueFactory = _ => "mha" };
    public readonly Option<int> Vocab = new("--vocab") { Description = "token ids 0..vocab-1 (0 = padding)", DefaultValueFactory = _ => M.Vocab };
    public readonly Option<int> Classes = new("--classes") { Description = "output classes (the reference uses the vocabulary size)", DefaultValueFactory = _ => M.Classes };
    public readonly Option<int> DModel = new("--d-model") { DefaultValueFactory = _ => M.DModel };
    public readonly Option<int> DFF = new("--d-ff") { DefaultValueFactory = _ => M.DFF };
    public readonly Option<int> Heads = new("--heads") { DefaultValueFactory = _ => M.Heads };
    public readonly Option<int> Layers = new("--layers") { DefaultValueFactory = _ => M.Layers };
    public readonly Option<double> Dropout = new("--dropout") { DefaultValueFactory = _ => M.Dropout };
    public readonly Option<int> MaxLen = new("--max-len") { Description = "padded length / largest position", DefaultValueFactory = _ => M.MaxLen };
    public readonly Option<int> DCompress = new("--d-compress") { Description = "MLA latent width", DefaultValueFactory = _ => M.DCompress };
    public readonly Option<bool> Causal = new("--causal") { Description = "causal mask (standard architecture)" };
    public readonly Option<double> RopeBase = new("--rope-base") { DefaultValueFactory = _ => M.PeOptions.RopeBase };
    public readonly Option<double> RotaryFraction = new("--rotary-fraction") { Description = "share of head dims that rotate", DefaultValueFactory = _ => M.PeOptions.RotaryFraction };
    public readonly Option<int?> RopeHeads = new("--rope-heads") { Description = "RoPE on the first K heads only (the paper's partial RoPE)", HelpName = "K" };
    public readonly Option<string?> PeLayers = new("--pe-layers") { Description = "layers whose attention gets the PE, e.g. 0-2 or 1,3 (default all)", HelpName = "LIST" };

    public readonly Option<int> Epochs = new("--epochs") { DefaultValueFactory = _ => T.Epochs };
    public readonly Option<int> BatchSize = new("--batch-size") { DefaultValueFactory = _ => T.BatchSize };
    public readonly Option<double> Lr = new("--lr") { DefaultValueFactory = _ => T.Lr };
    public readonly Option<double> WeightDecay = new("--weight-decay") { DefaultValueFactory = _ => T.WeightDecay };
    public readonly Option<double> Beta1 = new("--beta1") { DefaultValueFactory = _ => T.Beta1 };
    public readonly Option<double> Beta2 = new("--beta2") { DefaultValueFactory = _ => T.Beta2 };
    public readonly Option<double> Warmup = new("--warmup") { Description = "warm-up share of all steps", DefaultValueFactory = _ => T.WarmupFraction };
    public readonly Option<double> Clip = new("--clip") { Description = "max global gradient norm (0 = off)", DefaultValueFactory = _ => T.ClipNorm };
    public readonly Option<int> IgnoreClass = new("--ignore-class") { Description = "class left out of loss and accuracy (-1 = none)", DefaultValueFactory = _ => T.IgnoreClass ?? -1 };
    public readonly Option<long> Seed = CommonOptions.Seed();
    public readonly Option<int> EvalEvery = new("--eval-every") { Description = "evaluate every N epochs", DefaultValueFactory = _ => T.EvalEveryEpochs };
    public readonly Option<int> EvalBatchSize = new("--eval-batch-size") { Description = "rows per evaluation batch (0 = about 2^19 tokens, at least --batch-size)", DefaultValueFactory = _ => T.EvalBatchSize, HelpName = "N" };
    public readonly Option<long> SaveEvery = new("--save-every") { Description = "keep a weights snapshot every N steps (0 = none)", DefaultValueFactory = _ => T.SaveEverySteps };
    public readonly Option<long> ProbeEvery = new("--probe-every") { Description = "gradient probes (per-head W_Q/W_K and relative-bias gradients) at step 0, every N steps and at the end (0 = off)", DefaultValueFactory = _ => 0, HelpName = "N" };
    public readonly Option<int> ProbeRows = new("--probe-rows") { Description = "probe batch: the first N training rows, fixed for the run", DefaultValueFactory = _ => 256, HelpName = "N" };
    public readonly Option<string?> Probes = new("--probes") { Description = "probes table (default DIR/probes.parquet)", HelpName = "FILE" };
    public readonly Option<int?> BucketWindow = new("--bucket-window") { Description = $"standard architecture: sort by length within windows of N batches, each batch cut to its longest row (default {DefaultBucketWindow}; 0 = off; reference: always off)", HelpName = "N" };
    public readonly Option<int> StopAfter = new("--stop-after-epochs") { Description = "stop this invocation after N epochs (resume later)", DefaultValueFactory = _ => 0 };

    public readonly Option<string> Precision = new("--precision") { Description = "fp32, or bf16 (bf16 compute, fp32 master weights and AdamW state)", DefaultValueFactory = _ => "fp32" };
    public readonly Option<string> EvalPrecision = new("--eval-precision") { Description = "evaluation passes in fp32 (the fp32 model) or bf16 (the bf16 compute copy, as under autocast; needs --precision bf16)", DefaultValueFactory = _ => "fp32" };
    public readonly Option<string> Device = CommonOptions.Device();
    public readonly Option<string?> LibTorch = CommonOptions.LibTorch();
    public readonly Option<int> Threads = CommonOptions.Threads();
    public readonly Option<bool> Quiet = CommonOptions.Quiet();

    public IEnumerable<Option> All => GetType().GetFields().Select(f => f.GetValue(this)).OfType<Option>();

    /// <summary>
    /// What <c>pe-train bench</c> shares with training: the model, the optimizer's constants, batch size, seed and device.
    /// Left out: data, run directory, schedule and evaluation, which a benchmark on a synthetic batch has no use for,
    /// and --precision, which bench takes as a list.
    /// </summary>
    public IEnumerable<Option> ForBench =>
        All.Except([Data, Format, Out, Metrics, Resume, Epochs, Warmup, Clip, IgnoreClass, EvalEvery, EvalBatchSize, SaveEvery, StopAfter, ProbeEvery, ProbeRows, Probes, Precision, EvalPrecision, BucketWindow]);

    public TransformerConfig Model(ParseResult p) => new()
    {
        Vocab = Positive(p, Vocab),
        Classes = Positive(p, Classes),
        DModel = Positive(p, DModel),
        DFF = Positive(p, DFF),
        Heads = Positive(p, Heads),
        Layers = Positive(p, Layers),
        Dropout = Probability(p, Dropout),
        MaxLen = Positive(p, MaxLen),
        Arch = p.GetValue(Arch) switch
        {
            "reference" => Architecture.Reference,
            "standard" => Architecture.Standard,
            var other => throw UsageError.Option("--arch", "reference or standard", other),
        },
        Attention = p.GetValue(Attention) switch
        {
            "mha" => AttentionKind.Mha,
            "mla" => AttentionKind.Mla,
            var other => throw UsageError.Option("--attention", "mha or mla", other),
        },
        Pe = p.GetValue(Pe)!,
        PeOptions = new PeOptions(RopeBase: p.GetValue(RopeBase), RotaryFraction: p.GetValue(RotaryFraction), RopeHeads: p.GetValue(RopeHeads)),
        Causal = p.GetValue(Causal),
        DCompress = Positive(p, DCompress),
        PeLayers = p.GetValue(PeLayers) is { } list ? LayerList.Parse(list, Positive(p, Layers), "--pe-layers") : null,
    };

    /// <summary>
    /// --bucket-window resolved for <paramref name="arch"/>: as given; else, when resuming, the saved run's (a run saved
    /// before the option existed has none, so it resumes unbucketed); else <see cref="DefaultBucketWindow"/> for the
    /// standard architecture and 0 for the reference one, which pools over padding and so cannot drop any.
    /// </summary>
    public int BucketWindowFor(ParseResult p, Architecture arch, TrainConfig? saved)
    {
        if (p.GetValue(BucketWindow) is { } given)
        {
            if (given < 0) throw UsageError.Option(BucketWindow.Name, "a non-negative integer", given);
            if (given > 0 && arch == Architecture.Reference)
                throw UsageError.Option(BucketWindow.Name, "0 with --arch reference (it averages over padding, so batches cannot be cut)", given);
            return given;
        }
        return saved?.BucketWindow ?? (arch == Architecture.Standard ? DefaultBucketWindow : 0);
    }

    public TrainConfig Train(ParseResult p)
    {
        var config = TrainWithoutChecks(p);
        if (config.EvalPrecision == Torch.Training.Precision.Bf16 && config.Precision != Torch.Training.Precision.Bf16)
            throw UsageError.Option(EvalPrecision.Name, "fp32 unless --precision bf16 (an fp32 run has no bf16 copy to evaluate)", "bf16");
        return config;
    }

    private static Precision ParsePrecision(ParseResult p, Option<string> option) => p.GetValue(option) switch
    {
        "fp32" => Torch.Training.Precision.Fp32,
        "bf16" => Torch.Training.Precision.Bf16,
        var other => throw UsageError.Option(option.Name, "fp32 or bf16", other),
    };

    private TrainConfig TrainWithoutChecks(ParseResult p) => new()
    {
        Epochs = Positive(p, Epochs),
        BatchSize = Positive(p, BatchSize),
        Lr = p.GetValue(Lr),
        WeightDecay = p.GetValue(WeightDecay),
        Beta1 = Probability(p, Beta1),
        Beta2 = Probability(p, Beta2),
        WarmupFraction = Probability(p, Warmup),
        ClipNorm = p.GetValue(Clip),
        IgnoreClass = p.GetValue(IgnoreClass) is var c && c >= 0 ? c : null,
        Seed = p.GetValue(Seed),
        EvalEveryEpochs = Positive(p, EvalEvery),
        EvalBatchSize = p.GetValue(EvalBatchSize) is var eb && eb >= 0 ? eb : throw UsageError.Option(EvalBatchSize.Name, "a non-negative integer", eb),
        SaveEverySteps = p.GetValue(SaveEvery),
        MaxEpochsThisRun = p.GetValue(StopAfter),
        Precision = ParsePrecision(p, Precision),
        EvalPrecision = ParsePrecision(p, EvalPrecision),
    };

    /// <summary>
    /// The probe settings, kept out of <see cref="TrainConfig"/> on purpose: probes never change training, so they must
    /// not change config.json (saved inside model.safetensors) nor stop a --resume with other probe options.
    /// </summary>
    public (long Every, int Rows, string Path) Probing(ParseResult p, RunDirectory run)
    {
        long every = p.GetValue(ProbeEvery) is var e && e >= 0 ? e : throw UsageError.Option(ProbeEvery.Name, "a non-negative integer", e);
        var path = p.GetValue(Probes) ?? Path.Combine(run.Root, "probes.parquet");
        if (path == PeTools.Core.Tables.TableFormats.StdStream)
            throw UsageError.Option(Probes.Name, "a file (.parquet or .csv); stdout carries the metrics", path);
        return (every, Positive(p, ProbeRows), path);
    }

    public static int Positive(ParseResult p, Option<int> o) =>
        p.GetValue(o) is var v && v > 0 ? v : throw UsageError.Option(o.Name, "a positive integer", v);

    public static double Probability(ParseResult p, Option<double> o) =>
        p.GetValue(o) is var v && v is >= 0 and < 1 ? v : throw UsageError.Option(o.Name, "a number in [0, 1)", v);
}
