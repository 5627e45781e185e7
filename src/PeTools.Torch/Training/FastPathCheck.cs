using PeTools.Core.Tables;
using PeTools.Torch.Kernels;
using PeTools.Torch.Model;
using PeTools.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;
using C = PeTools.Core.Tables.Schemas.FastPathCheckColumns;
using F = TorchSharp.torch.nn.functional;
using Transformer = PeTools.Torch.Model.Transformer;

namespace PeTools.Torch.Training;

/// <summary>One row of <c>pe-train check</c> (schema <see cref="Schemas.FastPathCheck"/>).</summary>
public sealed record CheckRow(string Check, string Case, string Device, double Difference, double Tolerance, string Status, string Note)
{
    public bool Failed => Status == FastPathCheck.Fail;

    public static TableBatch ToBatch(IReadOnlyList<CheckRow> rows) => new(Schemas.FastPathCheck, new Dictionary<string, Array>
    {
        [C.Check] = rows.Select(r => r.Check).ToArray(),
        [C.Case] = rows.Select(r => r.Case).ToArray(),
        [C.Device] = rows.Select(r => r.Device).ToArray(),
        [C.Difference] = rows.Select(r => r.Difference).ToArray(),
        [C.Tolerance] = rows.Select(r => r.Tolerance).ToArray(),
        [C.Status] = rows.Select(r => r.Status).ToArray(),
        [C.Note] = rows.Select(r => r.Note).ToArray(),
    });
}

/// <summary>
/// Every fast path against its oracle on one device, on small models (d_model 64, 4 heads of 16 like the paper's,
/// 3 layers, 32 tokens): <c>pe-train check</c>, the GPU tests and a CPU test all run this. Checks per case:
/// forward (logits) and gradients with every model-level fast path vs none, on the same weights, eval mode, and again
/// with the default ones (forward-default, gradients-default: where two fast paths compete for an op, All takes the opt-in one);
/// flat-step (three AdamW steps, flat buffers vs per tensor: bit-identical expected); training (five steps with every
/// fast path vs none, then the loss on a fixed batch); no-sync (CUDA: three steps under libtorch's sync-debug "error"
/// mode, after checking that the mode catches a deliberate item()); inplace-grads (CUDA: gradients added into .grad by
/// the kernels vs handed to autograd). Differences are relative to the oracle's scale;
/// tolerances are loose enough for float rounding and summation order (bf16: 8 bits) and far below what a wrong
/// slice or rotation gives (order 1).
/// </summary>
public static class FastPathCheck
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Skip = "skip";

    /// <summary>One model to check.</summary>
    public sealed record Case(string Pe, Architecture Arch, AttentionKind Attention, Precision Precision, string Variant = "")
    {
        public string Name => $"{Pe}/{Arch.ToString().ToLowerInvariant()}/{Attention.ToString().ToLowerInvariant()}/" +
                              Precision.ToString().ToLowerInvariant() + (Variant.Length > 0 ? "/" + Variant : "");

        public TransformerConfig Config => new()
        {
            Vocab = 40,
            Classes = 12,
            DModel = 64,
            DFF = 128,
            Heads = 4,
            Layers = 3,
            MaxLen = 32,
            DCompress = 32,
            Dropout = 0,
            Pe = Pe,
            Arch = Arch,
            Attention = Attention,
            Causal = Variant == "causal",
            PeOptions = Variant == "partial" ? new Positional.PeOptions(RotaryFraction: 0.5, RopeHeads: 2) : new(),
        };
    }

    /// <summary>The PEs the benchmark times, both architectures, MLA, the causal and partial-RoPE variants; fp32 and bf16.</summary>
    public static IReadOnlyList<Case> DefaultCases { get; } =
    [
        .. new[] { Precision.Fp32, Precision.Bf16 }.SelectMany(p => new Case[]
        {
            new("nope", Architecture.Reference, AttentionKind.Mha, p),
            new("rope", Architecture.Reference, AttentionKind.Mha, p),
            new("alibi", Architecture.Reference, AttentionKind.Mha, p),
            new("relative", Architecture.Reference, AttentionKind.Mha, p),
            new("rope", Architecture.Reference, AttentionKind.Mla, p),
            new("rope", Architecture.Reference, AttentionKind.Mha, p, "partial"),
            new("rope", Architecture.Standard, AttentionKind.Mha, p, "causal"),
            new("alibi", Architecture.Standard, AttentionKind.Mha, p),
        }),
    ];

    public static IEnumerable<CheckRow> Run(Device device, IEnumerable<Case> cases)
    {
        var dev = device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, (int)device.index)}" : "cpu";
        foreach (var row in KernelRows(device, dev)) yield return row;
        (bool Works, string Why) syncGuard = device.type == DeviceType.CUDA ? SyncGuardWorks(device) : (false, "CPU: nothing to synchronise");
        foreach (var c in cases)
        {
            bool bf16 = c.Precision == Precision.Bf16;
            // All and Default separately: where two fast paths compete for one op (ALiBi's attention), All exercises the
            // opt-in one and only Default the one pe-train trains with.
            foreach (var (label, paths) in new[] { ("", FastPaths.All), ("-default", FastPaths.Default) })
            {
                var (forward, gradients) = ForwardAndGradients(c, device, paths);
                var which = label.Length == 0 ? "all fast paths" : "the default fast paths";
                yield return Row("forward" + label, c, dev, forward, bf16 ? 5e-2 : 1e-3, $"max |Δ logits| / max |logits|, {which} vs none");
                yield return Row("gradients" + label, c, dev, gradients, bf16 ? 1e-1 : 1e-3,
                    $"{which} vs none, worst parameter: max |Δ grad| / (max |its grad| + 1e-3 max |any grad|); inf: a gradient on one side only");
            }
            var (flat, noise) = FlatStep(c, device);
            yield return Row("flat-step", c, dev, flat, Math.Max(1e-6, 4 * noise),
                "3 AdamW steps, flat buffers vs per tensor: max |Δ w| / max |w|" + (flat == 0 ? " (bit-identical)" : "") +
                (noise > 0 ? $"; bound 4× the per-tensor path's own run-to-run difference {noise:G3} (gradients summed by CUDA atomics)" : ""));
            yield return Row("training", c, dev, Training(c, device), bf16 ? 5e-2 : 1e-3,
                "5 steps with all fast paths vs none, then |Δ loss| / loss on a fixed batch");
            yield return syncGuard.Works
                ? NoSync(c, device, dev)
                : new CheckRow("no-sync", c.Name, dev, double.NaN, double.NaN, Skip, syncGuard.Why);
            yield return GraphRow("graph-step", c, device, dev, dropout: 0);
            yield return InPlaceRow(c, device, dev);
        }
        if (cases.FirstOrDefault() is { } first) yield return GraphRow("graph-dropout", first, device, dev, dropout: 0.1);
    }

    /// <summary>
    /// CUDA graphs (<see cref="FastPaths.CudaGraph"/>) against the eager step they capture: weights after seven steps
    /// over two batch shapes (full and 8 tokens shorter: warm-up, capture and replays of each, sharing one memory pool),
    /// with the same seeds; bound 4× the eager path's own run-to-run difference (CUDA atomics), at least 1e-6.
    /// graph-dropout: the same with dropout 0.1, so the dropout bits of a replay must be the eager step's.
    /// </summary>
    private static CheckRow GraphRow(string check, Case c, Device device, string dev, double dropout)
    {
        if (device.type != DeviceType.CUDA)
            return new CheckRow(check, c.Name, dev, double.NaN, double.NaN, Skip, "CPU: no CUDA graphs");
        if (CudaGraph.Unavailable is { } why) return new CheckRow(check, c.Name, dev, double.NaN, double.NaN, Fail, why);
        using var scope = NewDisposeScope();
        var (x, y) = Batch(c.Config, device);
        int full = (int)x.shape[1];
        int[] lengths = [full, full, full - 8, full - 8, full, full - 8, full];
        string use = "";
        Tensor[] Weights(FastPaths paths)
        {
            manual_seed(7);
            cuda.manual_seed_all(7);
            using var model = Model(c, device, dropout: dropout);
            using var step = new TrainStep(model, Optimisation(c), device, paths);
            model.train();
            step.Compute.train();
            foreach (int t in lengths)
            {
                using var s = NewDisposeScope();
                step.Run(x.narrow(1, 0, t), y, 1e-3);
            }
            if (paths.HasFlag(FastPaths.CudaGraph))
                use = step.GraphNote ?? $"{step.GraphUse.Graphs} graphs, {step.GraphUse.Replays} of {lengths.Length} steps replayed";
            return model.parameters().Select(p => p.detach().clone()).ToArray();
        }
        var graphed = Weights(FastPaths.Default);
        var eager = Weights(FastPaths.Default & ~FastPaths.CudaGraph);
        var again = Weights(FastPaths.Default & ~FastPaths.CudaGraph);
        double scale = eager.Max(w => Max(w.abs()));
        double difference = graphed.Zip(eager).Max(p => Max((p.First - p.Second).abs())) / scale;
        double noise = again.Zip(eager).Max(p => Max((p.First - p.Second).abs())) / scale;
        double tolerance = Math.Max(1e-6, 4 * noise);
        bool replayed = !use.StartsWith("CUDA graph", StringComparison.Ordinal);
        return new CheckRow(check, c.Name, dev, difference, tolerance, replayed && difference <= tolerance ? Pass : Fail,
            $"7 steps over 2 batch shapes{(dropout > 0 ? $", dropout {dropout}" : "")}, graphed vs eager: max |Δ w| / max |w|" +
            (difference == 0 ? " (bit-identical)" : "") + $"; {use}");
    }

    /// <summary>
    /// <see cref="FastPaths.ParameterGradientsInPlace"/> against gradients handed to AccumulateGrad: the stepping model's
    /// .grad after three steps at learning rate 0 (the weights stay put; the second and third add in place, and with CUDA
    /// graphs the third replays the graph captured at the second), the default fast paths with and without it. Expected
    /// bit-identical (.grad is zeroed before each backward); the bound is a GEMM's summation order, should cuBLAS pick
    /// another algorithm for addmm_'s beta = 1. No run-time kernels (CPU): nothing adds in place, skipped.
    /// </summary>
    private static CheckRow InPlaceRow(Case c, Device device, string dev)
    {
        const string check = "inplace-grads";
        if (CudaKernels.For(device) is null) return new CheckRow(check, c.Name, dev, double.NaN, double.NaN, Skip, CudaKernels.Status(device));
        using var scope = NewDisposeScope();
        var (x, y) = Batch(c.Config, device);
        Tensor[] Gradients(FastPaths paths) => AfterThreeSteps(c, device, x, y, paths, 0, (step, _) =>
            step.Compute.parameters().Where(p => p.grad is not null).Select(p => p.grad!.to(ScalarType.Float32).clone()).ToArray());
        var (inPlace, handed) = (Gradients(FastPaths.Default | FastPaths.ParameterGradientsInPlace), Gradients(FastPaths.Default));
        double difference = inPlace.Length != handed.Length ? double.PositiveInfinity // a gradient on one side only
            : inPlace.Zip(handed).Max(p => Max((p.First - p.Second).abs())) / Math.Max(handed.Max(g => Max(g.abs())), 1e-30);
        return Row(check, c, dev, difference, FusedLinearCheck.Tolerance(c.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32),
            "3 steps at lr 0, gradients added into .grad by the kernels vs handed to AccumulateGrad: max |Δ grad| / max |grad|" +
            (difference == 0 ? " (bit-identical)" : ""));
    }

    /// <summary>
    /// The run-time kernels against their oracles, kernel by kernel (<see cref="FusedLayerNormCheck"/>,
    /// <see cref="FusedLinearCheck"/>, <see cref="FusedResidualDropoutCheck"/>, <see cref="FusedRotationCheck"/>): on CUDA a kernel that cannot be compiled fails here (training then silently
    /// takes the oracle path); on CPU there is none to check.
    /// </summary>
    private static IEnumerable<CheckRow> KernelRows(Device device, string dev)
    {
        var kernels = CudaKernels.For(device);
        var checks = KernelChecks.For(device);
        foreach (var kind in checks.Select(c => c.Check).Distinct())
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                foreach (var check in checks.Where(c => c.Check == kind && (!c.Bf16Only || dtype == ScalarType.BFloat16)))
                {
                    var name = $"{check.Case}/{(dtype == ScalarType.BFloat16 ? "bf16" : "fp32")}";
                    var (difference, note) = kernels is null ? (double.NaN, "") : check.Compare(kernels, dtype);
                    if (kernels is null || double.IsPositiveInfinity(difference)) // no kernels, or this one did not compile
                    {
                        yield return new CheckRow(check.Check, name, dev, double.NaN, double.NaN,
                            device.type == DeviceType.CUDA ? Fail : Skip, CudaKernels.Status(device));
                        continue;
                    }
                    double tolerance = check.Tolerance(dtype);
                    yield return new CheckRow(check.Check, name, dev, difference, tolerance, difference <= tolerance ? Pass : Fail, note);
                }
    }

    private static CheckRow Row(string check, Case c, string device, double difference, double tolerance, string note) =>
        new(check, c.Name, device, difference, tolerance, difference <= tolerance ? Pass : Fail, note);

    private static (Tensor X, Tensor Y) Batch(TransformerConfig config, Device device, int rows = 8)
    {
        var g = new Generator(1234);
        var x = randint(1, config.Vocab, [rows, config.MaxLen], generator: g, dtype: int64);          // (B, T)
        var lengths = randint(config.MaxLen / 2, config.MaxLen + 1, [rows, 1], generator: g, dtype: int64);
        x = x.masked_fill(arange(config.MaxLen, dtype: int64).unsqueeze(0).ge(lengths), config.PadId); // right padding
        var y = randint(0, config.Classes, [rows], generator: g, dtype: int64);                       // (B)
        return (x.to(device), y.to(device));
    }

    private static Transformer Model(Case c, Device device, ScalarType? dtype = null, double dropout = 0)
    {
        manual_seed(17);
        var model = new Transformer(c.Config with { Dropout = dropout });
        model.to(device);
        if (dtype is { } t) model.to(t);
        return model;
    }

    private static (double Forward, double Gradients) ForwardAndGradients(Case c, Device device, FastPaths paths)
    {
        using var scope = NewDisposeScope();
        var dtype = c.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        using var fast = Model(c, device, dtype);
        using var slow = Model(c, device, dtype);
        var (x, y) = Batch(c.Config, device);
        (Tensor Logits, Tensor?[] Grads) Pass(Transformer m, FastPaths paths)
        {
            TrainStep.ApplyModelPaths(m, paths);
            m.eval();
            var logits = m.call(x).to(ScalarType.Float32);                                // (B, C)
            F.cross_entropy(logits, y).backward();
            return (logits.detach(), m.parameters().Select(p => p.grad?.to(ScalarType.Float32)).ToArray());
        }
        var (lf, gf) = Pass(fast, paths);
        var (ls, gs) = Pass(slow, FastPaths.None);
        double forward = Max((lf - ls).abs()) / Math.Max(Max(ls.abs()), 1e-30);
        if (gf.Zip(gs).Any(p => (p.First is null) != (p.Second is null))) return (forward, double.PositiveInfinity);
        var pairs = gf.Zip(gs).Where(p => p.First is not null).Select(p => (Fast: p.First!, Slow: p.Second!)).ToList();
        double floor = 1e-3 * pairs.Max(p => Max(p.Slow.abs()));
        double gradients = pairs.Max(p => Max((p.Fast - p.Slow).abs()) / (Max(p.Slow.abs()) + floor + 1e-30));
        return (forward, gradients);
    }

    /// <summary>What <paramref name="read"/> takes from the stepper and the model after three steps of a fresh model of
    /// case c on (x, y) with these fast paths and learning rate (in the caller's dispose scope).</summary>
    private static Tensor[] AfterThreeSteps(Case c, Device device, Tensor x, Tensor y, FastPaths paths, double lr,
                                            Func<TrainStep, Transformer, Tensor[]> read)
    {
        using var model = Model(c, device);
        using var step = new TrainStep(model, Optimisation(c), device, paths);
        for (int i = 0; i < 3; i++)
        {
            using var s = NewDisposeScope();
            step.Run(x, y, lr);
        }
        return read(step, model);
    }

    private static TrainConfig Optimisation(Case c) => new() { Precision = c.Precision, WeightDecay = 1e-2, IgnoreClass = null };

    /// <summary>
    /// Flat vs per-tensor weights after three steps, and the per-tensor path against itself: on CUDA some gradients
    /// (the relative bias's gather backward) are summed with atomics in a varying order, and AdamW's division by √v
    /// magnifies that noise for near-zero gradients; the flat path cannot be asked to agree better than the oracle
    /// agrees with itself. On CPU both runs are bit-identical and the noise is 0.
    /// </summary>
    private static (double Difference, double Noise) FlatStep(Case c, Device device)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(c.Config, device);
        Tensor[] Weights(FastPaths paths) =>
            AfterThreeSteps(c, device, x, y, paths, 1e-3, (_, model) => model.parameters().Select(p => p.detach().clone()).ToArray());
        var flat = Weights(FastPaths.Flat);
        var perTensor = Weights(FastPaths.None);
        var again = Weights(FastPaths.None);
        double scale = perTensor.Max(w => Max(w.abs()));
        return (flat.Zip(perTensor).Max(p => Max((p.First - p.Second).abs())) / scale,
                again.Zip(perTensor).Max(p => Max((p.First - p.Second).abs())) / scale);
    }

    private static double Training(Case c, Device device)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(c.Config, device);
        var (probeX, probeY) = Batch(c.Config, device, rows: 16);
        double LossAfter(FastPaths paths)
        {
            using var model = Model(c, device);
            using var step = new TrainStep(model, Optimisation(c), device, paths);
            for (int i = 0; i < 5; i++)
            {
                using var s = NewDisposeScope();
                step.Run(x, y, 1e-3);
            }
            using var _ = no_grad();
            model.eval(); // the fp32 master: with bf16, the compute copy still holds the weights before the last step
            return F.cross_entropy(model.call(probeX), probeY).item<float>();
        }
        double fast = LossAfter(FastPaths.All), slow = LossAfter(FastPaths.None);
        return Math.Abs(fast - slow) / Math.Max(Math.Abs(slow), 1e-30);
    }

    private static (bool Works, string Why) SyncGuardWorks(Device device)
    {
        using var scope = NewDisposeScope();
        var t = ones(4, device: device);
        using var guard = CudaDiagnostics.ErrorOnSync();
        if (guard is null) return (false, "libtorch's sync-debug switch was not found (libc10_cuda.so)");
        try
        {
            _ = t.sum().item<float>();
            return (false, "the sync-debug switch did not catch a deliberate item() (another copy of its state?)");
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            return (true, "");
        }
    }

    private static CheckRow NoSync(Case c, Device device, string dev)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch(c.Config, device);
        using var model = Model(c, device, dropout: 0.1); // dropout draws random numbers on the device: keep it in
        using var step = new TrainStep(model, Optimisation(c) with { ClipNorm = 1.0 }, device);
        step.Compute.train();
        step.Run(x, y, 1e-3); // warm-up outside the guard: first calls may set things up
        try
        {
            using (CudaDiagnostics.ErrorOnSync())
            {
                for (int i = 0; i < 3; i++)
                {
                    using var s = NewDisposeScope();
                    step.Run(x, y, 1e-3);
                }
            }
            return new CheckRow("no-sync", c.Name, dev, double.NaN, double.NaN, Pass,
                "3 steps (train mode, dropout 0.1, clipping on) under sync-debug mode 'error': no host-device synchronisation");
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException)
        {
            return new CheckRow("no-sync", c.Name, dev, double.NaN, double.NaN, Fail,
                "a step synchronised: " + e.Message.Split('\n')[0]);
        }
    }

    private static double Max(Tensor t) => t.max().to(ScalarType.Float64).item<double>();
}
