using System.CommandLine;
using PeTools.Cli;
using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Spectral;
using PeTools.Core.Tables;
using C = PeTools.Core.Tables.Schemas.SpectrumColumns;

namespace PeTools.Spectrum.Commands;

/// <summary>
/// pe-spectrum theory: the spectra of one PE's kernel, of the content Gram, and of the PE's logit on seeded random
/// content, with each applicable bound (Schur per frequency, Weyl, Grenander–Szegő, Gershgorin) beside the measured value.
/// </summary>
internal static class TheoryCommand
{
    /// <summary>Largest n for which (I-2) is checked: it needs d/2 dense complex EVDs.</summary>
    private const int SimilarityCheckLimit = 256;

    public static Command Create(ToolContext context)
    {
        var pe = new Option<string>("--pe") { Description = $"positional encoding: {string.Join('|', TheoryEncodings.Keys)}", Required = true, HelpName = "PE" };
        var n = new Option<int>("--n") { Description = "sequence length (matrices are n×n)", DefaultValueFactory = _ => 128 };
        var dHead = new Option<int>("--d-head") { Description = "head dimension (even)", DefaultValueFactory = _ => 16 };
        var dModel = SpectrumOptions.DModel();
        var @base = SpectrumOptions.Base();
        var head = SpectrumOptions.Head();
        var heads = SpectrumOptions.Heads();
        var content = SpectrumOptions.Content();
        var solver = new Option<string>("--solver") { Description = $"dense (every eigenvalue), structured (Lanczos extremes, any n), auto (dense up to n = {SpectrumSolvers.AutoDenseLimit})", DefaultValueFactory = _ => "auto", HelpName = "dense|structured|auto" };
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var seed = CommonOptions.Seed();
        var quiet = CommonOptions.Quiet();

        var cmd = new Command("theory", "Spectra of a PE's kernel, the content Gram and the PE's logit, bounds beside measured values.")
        {
            pe, n, dHead, dModel, @base, head, heads, content, solver, seed, output, format, quiet,
        };
        cmd.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            var encoding = SpectrumOptions.Pe(parse.GetValue(pe)!);
            int size = parse.GetValue(n), d = parse.GetValue(dHead), dm = parse.GetValue(dModel);
            SpectrumOptions.CheckSizes(size, d, dm);
            SpectrumOptions.CheckCommon(parse.GetValue(@base), parse.GetValue(head), parse.GetValue(heads), parse.GetValue(content)!);
            string solverKey = parse.GetValue(solver)!;
            if (!SpectrumSolvers.Keys.Contains(solverKey)) throw UsageError.Option("--solver", string.Join('|', SpectrumSolvers.Keys), solverKey);
            var tableFormat = CommonOptions.FormatOf(parse, format);

            string provider = NumericsProvider.Select();
            var seeds = new SeedSequence(parse.GetValue(seed));
            var setup = new TheorySetup(size, d, dm, parse.GetValue(@base), parse.GetValue(head), parse.GetValue(heads),
                SpectrumOptions.T5Buckets(seeds.Random("t5-buckets")), PositionToContent: null);
            var spectra = SpectrumSolvers.Create(solverKey, size, seeds.Random("lanczos"));
            log.Info($"{encoding.Key}: n={size} d_head={d} solver={spectra.Name} ({provider})");

            var m = encoding.Build(setup, ContentDraw.Sample(size, dm, d, seeds.Random("content")));
            var rows = new SpectrumRows(encoding.Key, setup, seeds.Seed, spectra.Name);
            Measure(rows, spectra, encoding, setup, m, log);

            var metadata = new Dictionary<string, string>
            {
                ["pe-spectrum.command"] = "theory",
                ["pe-spectrum.provider"] = provider,
                ["pe-spectrum.t5_buckets"] = string.Join(',', setup.T5Buckets.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
            };
            TableWriter.WriteTable(parse.GetValue(output)!, rows.Build(), tableFormat, metadata, context.Stdout);
            return ExitCode.Ok;
        });
        return cmd.WithExamples(
            new Example("RoPE kernel and logit spectra at n = 128, bounds beside them", "pe-spectrum theory --pe rope --n 128 --d-head 16 -o -"),
            new Example("ALiBi at n = 4096 by FFT products and Lanczos (extremes only)", "pe-spectrum theory --pe alibi --n 4096 --solver structured -o alibi.csv"),
            new Example("which bounds T5 obeys, as a table of measured vs bound", "pe-spectrum theory --pe t5 --n 256 -o - | grep -v ',none,'"));
    }

    private static void Measure(SpectrumRows rows, ISpectrumSolver solver, TheoryEncoding encoding, TheorySetup setup, PeMatrices m, PeTools.Core.Logging.IRunLog log)
    {
        bool dense = solver is DenseSpectrumSolver;
        if (m.Kernel is not null)
        {
            var k = solver.Analyse(m.Kernel);
            rows.Summary("kernel", k, log);
            var symbol = m.KernelSymmetricSymbol!;
            rows.Bounds("kernel", k, "grenander_szego", SpectralBounds.GrenanderSzego(symbol));
            rows.Bounds("kernel", k, "gershgorin", SpectralBounds.GershgorinToeplitz(symbol));
        }

        var content = solver.Analyse(m.Content);
        rows.Summary("content", content, log);
        var frequencyBound = ContentLogits.FrequencyBound(m.ContentParts);
        rows.Bounds("content", content, "schur_per_frequency", frequencyBound);

        var logit = solver.Analyse(m.Logit);
        rows.Summary("logit", logit, log);
        switch (encoding.Coupling)
        {
            case Coupling.Multiplicative:
                rows.Bounds("logit", logit, "schur_per_frequency", frequencyBound);
                if (setup.N <= SimilarityCheckLimit) SimilarityDefects(rows, m.ContentParts, setup);
                else log.Info($"(I-2) similarity check skipped: n > {SimilarityCheckLimit}");
                break;
            case Coupling.Additive:
                var position = solver.Analyse(m.PositionPart!);
                rows.Bounds("logit", logit, "weyl", SpectralBounds.Weyl(
                    new Interval(content.LambdaMin, content.LambdaMax), new Interval(position.LambdaMin, position.LambdaMax)));
                break;
            case Coupling.None:
                rows.Bounds("logit", logit, "schur_per_frequency", frequencyBound);
                break;
        }
        if (dense) rows.Bounds("logit", logit, "gershgorin", SpectralBounds.Gershgorin(Operators.ToDense(m.Logit)));
    }

    /// <summary>
    /// (I-2): for each frequency t, max_i |λ_i(H(A^(t)) ∘ G_e^(t)) − λ_i(H(A^(t)))| / max|λ|. A unitary similarity
    /// gives ~1e-15; anything larger would refute the claim that one frequency cannot contract the spectrum.
    /// </summary>
    private static void SimilarityDefects(SpectrumRows rows, ContentInstance c, TheorySetup setup)
    {
        var theta = PositionalMatrices.RopeFrequencies(setup.DHead, setup.Base);
        for (int t = 0; t < theta.Length; t++)
            rows.Scalar("logit", "similarity_defect", t, ContractionExperiment.SimilarityDefect(c, t, theta[t]));
    }
}

/// <summary>Accumulates spectrum rows for one (pe, n, d_head, d_model, seed, solver).</summary>
internal sealed class SpectrumRows(string pe, TheorySetup setup, long seed, string solver)
{
    private const string NoBound = "none";
    private readonly TableBatchBuilder _builder = new(Schemas.Spectrum);

    public void Scalar(string matrix, string quantity, int index, double value, string bound = NoBound, double boundValue = double.NaN) =>
        _builder.Add((C.Pe, pe), (C.N, setup.N), (C.DHead, setup.DHead), (C.DModel, setup.DModel), (C.Seed, seed),
            (C.Solver, solver), (C.Matrix, matrix), (C.Quantity, quantity), (C.Index, index), (C.Value, value),
            (C.Bound, bound), (C.BoundValue, boundValue));

    public void Summary(string matrix, SpectrumSummary s, PeTools.Core.Logging.IRunLog log)
    {
        if (s.Eigenvalues is null)
        {
            // Structured: the Lanczos certificate, so a reader can tell a converged extreme from a capped one.
            Scalar(matrix, "residual_bound", -1, s.ResidualBound);
            Scalar(matrix, "iterations", -1, s.Iterations);
            if (!s.Converged) log.Warn($"{matrix}: Lanczos hit its iteration cap; extremes are certified only to {s.ResidualBound:E1} relative");
        }
        Scalar(matrix, "lambda_min", -1, s.LambdaMin);
        Scalar(matrix, "lambda_max", -1, s.LambdaMax);
        Scalar(matrix, "spread", -1, s.Spread);
        Scalar(matrix, "spectral_norm", -1, s.SigmaMax);
        if (s.Eigenvalues is { } ev)
        {
            for (int i = 0; i < ev.Length; i++) Scalar(matrix, "eigenvalue", i, ev[i]);
            for (int i = 0; i < s.SingularValues!.Length; i++) Scalar(matrix, "singular_value", i, s.SingularValues[i]);
            double frobenius = Math.Sqrt(s.SingularValues.Sum(x => x * x));
            Scalar(matrix, "frobenius_norm", -1, frobenius);
            Scalar(matrix, "spectral_norm", -1, s.SigmaMax, "frobenius", frobenius);
            Scalar(matrix, "condition_hermitian", -1, s.ConditionHermitian!.Value);
            Scalar(matrix, "condition_singular", -1, s.ConditionSingular!.Value);
            Scalar(matrix, "numerical_rank", -1, s.NumericalRank!.Value);
        }
    }

    /// <summary>Two rows: measured λ_min beside the bound's lower end, measured λ_max beside its upper end.</summary>
    public void Bounds(string matrix, SpectrumSummary s, string bound, Interval interval)
    {
        Scalar(matrix, "lambda_min", -1, s.LambdaMin, bound, interval.Lower);
        Scalar(matrix, "lambda_max", -1, s.LambdaMax, bound, interval.Upper);
    }

    public TableBatch Build() => _builder.Build();
}
