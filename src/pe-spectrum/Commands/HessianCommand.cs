using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PeTools.Cli;
using PeTools.Cli.Runs;
using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Spectral;
using PeTools.Core.Tables;
using PeTools.Torch.Curvature;
using PeTools.Torch.Heads;
using PeTools.Torch.Training;
using C = PeTools.Core.Tables.Schemas.HessianColumns;

namespace PeTools.Spectrum.Commands;

/// <summary>
/// pe-spectrum hessian: what PyHessian gives PyTorch users, for a pe-train run (issue #8 item 4; paper claim C20): the
/// training-loss Hessian at one or more checkpoints, over a parameter scope, as top eigenvalues (Lanczos), trace
/// (Hutchinson) and eigenvalue density (SLQ), from Hessian-vector products by double backward.
/// </summary>
internal static class HessianCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new RunOptions(DatasetTensors.TrainSplit, $"rows the loss is taken on: train, test, any split name or {AnalysisData.All}",
            512, "rows per batch of the loss (memory only: --batches × --batch-size rows are the same rows however they are cut)");
        var checkpoints = new Option<string>("--checkpoints") { Description = $"weights to measure: {RunCheckpoints.Latest} (final model, else the resume checkpoint), {RunCheckpoints.All} (every pe-train --save-every snapshot and the latest), or steps like 500,1000", DefaultValueFactory = _ => RunCheckpoints.Latest, HelpName = "WHICH" };
        var scope = new Option<string>("--scope") { Description = "parameters the Hessian is over, comma-separated: model, pe, layer:L (block L) or layer:L:attn (its Q/K/V/O or MLA projections); layer scopes add the PE's own layer-L parameters", DefaultValueFactory = _ => CurvatureScope.ModelKey, HelpName = "SCOPES" };
        var batches = new Option<int>("--batches") { Description = "fixed batches of training rows in the loss, drawn once by --seed", DefaultValueFactory = _ => 4, HelpName = "N" };
        var defaults = new HessianSettings();
        var topK = new Option<int>("--top-k") { Description = "largest eigenvalues to find (0: none)", DefaultValueFactory = _ => defaults.TopK, HelpName = "K" };
        var lanczosSteps = new Option<int>("--lanczos-steps") { Description = "at most this many Lanczos steps (one HVP each) for them", DefaultValueFactory = _ => defaults.LanczosSteps, HelpName = "N" };
        var tolerance = new Option<double>("--tolerance") { Description = "stop Lanczos when every residual bound ≤ this × the largest |eigenvalue|", DefaultValueFactory = _ => defaults.Tolerance, HelpName = "TOL" };
        var hutchinson = new Option<int>("--hutchinson-samples") { Description = "Rademacher vectors for the trace (0: no trace)", DefaultValueFactory = _ => defaults.HutchinsonSamples, HelpName = "N" };
        var slqRuns = new Option<int>("--slq-runs") { Description = "random start vectors for the density (0: no density)", DefaultValueFactory = _ => defaults.SlqRuns, HelpName = "N" };
        var slqSteps = new Option<int>("--slq-steps") { Description = "Lanczos steps (quadrature nodes) per density run", DefaultValueFactory = _ => defaults.SlqSteps, HelpName = "N" };
        var points = new Option<int>("--density-points") { Description = "grid points of the density", DefaultValueFactory = _ => defaults.DensityPoints, HelpName = "N" };
        var variance = new Option<double>("--density-variance") { Description = "Gaussian kernel σ² = this × max(1, spectrum range) (PyHessian's sigma_squared), widened to one grid step if finer", DefaultValueFactory = _ => defaults.DensityVariance, HelpName = "V" };
        var seed = CommonOptions.Seed();
        var command = o.AddTo(new Command("hessian",
            "Hessian of a run's training loss at its checkpoints (PyHessian for pe-train runs): top eigenvalues by Lanczos with full " +
            "reorthogonalisation, trace by Hutchinson, eigenvalue density by stochastic Lanczos quadrature, all from Hessian-vector " +
            "products by double backward. The loss is the mean cross-entropy (ignored class as in training) on fixed, seeded " +
            "training rows, with the model in eval mode (dropout off) and attention on its composite path, so it is a " +
            "deterministic, twice-differentiable function on CPU and CUDA alike.")
        {
            checkpoints, scope, batches, topK, lanczosSteps, tolerance, hutchinson, slqRuns, slqSteps, points, variance, seed,
        });
        command.SetAction(parse =>
        {
            var settings = new HessianSettings(
                AtLeast(parse.GetValue(topK), 0, "--top-k"), AtLeast(parse.GetValue(lanczosSteps), 1, "--lanczos-steps"),
                parse.GetValue(tolerance) is var t && t > 0 && double.IsFinite(t) ? t : throw UsageError.Option("--tolerance", "a number > 0", t),
                AtLeast(parse.GetValue(hutchinson), 0, "--hutchinson-samples"), AtLeast(parse.GetValue(slqRuns), 0, "--slq-runs"),
                AtLeast(parse.GetValue(slqSteps), 1, "--slq-steps"), AtLeast(parse.GetValue(points), 16, "--density-points"),
                parse.GetValue(variance) is var v && v > 0 && double.IsFinite(v) ? v : throw UsageError.Option("--density-variance", "a number > 0", v));
            int batchCount = AtLeast(parse.GetValue(batches), 1, "--batches"), batchSize = o.BatchSizeOf(parse);
            var scopes = parse.GetValue(scope)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
            if (scopes.Count == 0) throw UsageError.Option("--scope", CurvatureScope.Expected, parse.GetValue(scope));

            var log = o.Log(context, parse);
            var run = o.RunDirectory(parse);
            var config = o.ReadConfig(parse);                                    // fails fast, before libtorch loads
            var weights = RunCheckpoints.Select(run, parse.GetValue(checkpoints)!, log);
            var device = o.StartTorch(parse, log);
            var seeds = new SeedSequence(parse.GetValue(seed));
            using var split = o.LoadData(context, parse, config, device, log);
            var lossBatches = HessianAnalysis.Batches(split, batchCount, batchSize, seeds.Random("hessian/rows"));
            long rows = lossBatches.Sum(b => b.Targets.shape[0]);
            log.Info($"loss on {rows} rows of {split.Name} in {lossBatches.Count} batches; {weights.Count} checkpoint(s), scopes {string.Join(", ", scopes)}");

            var table = new HessianTable(run, config);
            try
            {
                bool described = false;
                foreach (var w in weights)
                {
                    var (model, _) = RunLoader.Load(run.Root, device, w.Snapshot);
                    using var _model = model;
                    foreach (var key in scopes)
                    {
                        var h = new HessianVectorProduct(model, CurvatureScope.Parse(key, model), lossBatches, config.Train.IgnoreClass);
                        if (!described) log.Info(HessianAnalysis.Describe(h, settings));
                        described = true;
                        var values = HessianAnalysis.Measure(h, settings, seeds, log, $"{w.Describe()} {key}");
                        table.Add(w.Step, RunCheckpoints.Epoch(run, w.Step), key, h.Dimension, values);
                    }
                }
            }
            finally
            {
                foreach (var b in lossBatches)
                {
                    b.Tokens.Dispose();
                    b.Targets.Dispose();
                }
            }
            var resolved = JsonSerializer.Serialize(new { settings, split = split.Name, rows, batches = lossBatches.Count, seed = seeds.Seed, device = device.type.ToString().ToLowerInvariant() });
            o.Write(context, parse, table.Build(), config,
                new Dictionary<string, string> { ["pe-spectrum.command"] = "hessian", ["pe-spectrum.hessian"] = resolved });
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("sharpness (top 5 eigenvalues), trace and density of a run's final model",
                "pe-spectrum hessian runs/rope-dist --data dist.parquet -o hessian.parquet"),
            new Example("a sharpness curve over every snapshot: top eigenvalue only, whole model and layer 0's attention",
                "pe-spectrum hessian runs/rope-dyn --data dist.parquet --checkpoints all --scope model,layer:0:attn --top-k 1 --hutchinson-samples 0 --slq-runs 0 -o - | grep ',top_eigenvalue,'"),
            new Example("the same function with half the memory per batch, on a GPU",
                "pe-spectrum hessian runs/rope-dist --data dist.parquet --batches 8 --batch-size 256 --device cuda -o hessian.parquet"));
    }

    private static int AtLeast(int value, int min, string option) =>
        value >= min ? value : throw UsageError.Option(option, $"an integer ≥ {min}", value);
}

/// <summary>The hessian table, one row per measured number, with the run's identity on every row.</summary>
internal sealed class HessianTable(RunDirectory run, RunConfig config)
{
    private readonly TableBatchBuilder _rows = new(Schemas.Hessian);
    private readonly string _name = Path.GetFileName(run.Root);
    private readonly string _task = Path.GetFileNameWithoutExtension(config.Data);

    public void Add(long step, double epoch, string scope, long dimension, IEnumerable<HessianValue> values)
    {
        foreach (var v in values)
            _rows.Add((C.Run, _name), (C.Pe, config.Model.Pe), (C.Task, _task), (C.Seed, config.Train.Seed), (C.Step, step),
                (C.Epoch, epoch), (C.Scope, scope), (C.Dimension, dimension), (C.Quantity, v.Quantity), (C.Index, v.Index),
                (C.Value, v.Value));
    }

    public TableBatch Build() => _rows.Build();
}
