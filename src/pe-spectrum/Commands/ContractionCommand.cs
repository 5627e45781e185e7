using System.CommandLine;
using PeTools.Cli;
using PeTools.Core;
using PeTools.Core.Errors;
using PeTools.Core.Spectral;
using PeTools.Core.Tables;
using C = PeTools.Core.Tables.Schemas.ContractionColumns;

namespace PeTools.Spectrum.Commands;

/// <summary>
/// pe-spectrum contraction: claim C19 as numbers. Over many seeded content instances, the spread and condition
/// numbers of the logit's Hermitian part (and of its singular values) for multiplicative RoPE vs the additive PEs,
/// at matched Frobenius norms, as mean ± 95% CI per (n, d_head).
/// </summary>
internal static class ContractionCommand
{
    public static Command Create(ToolContext context)
    {
        var n = new Option<string>("--n") { Description = "sequence lengths, comma-separated", DefaultValueFactory = _ => "32,64,128", HelpName = "N,N,..." };
        var dHead = new Option<string>("--d-head") { Description = "head dimensions (even), comma-separated", DefaultValueFactory = _ => "16,64", HelpName = "D,D,..." };
        var pes = new Option<string>("--pe") { Description = $"PEs to compare, comma-separated ({string.Join('|', TheoryEncodings.Keys)})", DefaultValueFactory = _ => string.Join(',', TheoryEncodings.Keys), HelpName = "PE,PE,..." };
        var instances = new Option<int>("--instances") { Description = "seeded content instances per (n, d_head)", DefaultValueFactory = _ => 200 };
        var ratio = new Option<double>("--ratio") { Description = "Frobenius norm of the position part relative to the content part (additive PEs)", DefaultValueFactory = _ => 1.0 };
        var ci = new Option<string>("--ci") { Description = "95% interval for the mean: bootstrap (percentile, 2000 resamples) or t", DefaultValueFactory = _ => "bootstrap", HelpName = "bootstrap|t" };
        var threads = new Option<int>("--threads") { Description = "instances analysed in parallel (results do not depend on it)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var dModel = SpectrumOptions.DModel();
        var @base = SpectrumOptions.Base();
        var head = SpectrumOptions.Head();
        var heads = SpectrumOptions.Heads();
        var content = SpectrumOptions.Content();
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var seed = CommonOptions.Seed();
        var quiet = CommonOptions.Quiet();

        var cmd = new Command("contraction", "Spread and conditioning of logits over random content: multiplicative (RoPE) vs additive coupling at matched norms.")
        {
            n, dHead, pes, instances, ratio, ci, threads, dModel, @base, head, heads, content, seed, output, format, quiet,
        };
        cmd.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            var sizes = SpectrumOptions.IntList(parse.GetValue(n)!, "--n", 2);
            var dims = SpectrumOptions.IntList(parse.GetValue(dHead)!, "--d-head", 2);
            var encodings = SpectrumOptions.KeyList(parse.GetValue(pes)!, "--pe", TheoryEncodings.Keys).Select(k => SpectrumOptions.Pe(k)).ToList();
            int count = parse.GetValue(instances), dm = parse.GetValue(dModel), parallel = parse.GetValue(threads);
            double r = parse.GetValue(ratio);
            foreach (var size in sizes)
                foreach (var d in dims) SpectrumOptions.CheckSizes(size, d, dm);
            if (sizes.Max() > 1024) throw UsageError.Option("--n", "lengths ≤ 1024 (every instance runs a dense EVD and SVD)", sizes.Max());
            if (count < 2) throw UsageError.Option("--instances", "an integer ≥ 2", count);
            if (!(r > 0) || double.IsInfinity(r)) throw UsageError.Option("--ratio", "a finite number > 0", r);
            if (parallel < 1) throw UsageError.Option("--threads", "an integer ≥ 1", parallel);
            string ciKind = parse.GetValue(ci)!;
            if (ciKind is not ("bootstrap" or "t")) throw UsageError.Option("--ci", "bootstrap|t", ciKind);
            SpectrumOptions.CheckCommon(parse.GetValue(@base), parse.GetValue(head), parse.GetValue(heads), parse.GetValue(content)!);
            var tableFormat = CommonOptions.FormatOf(parse, format);

            string provider = NumericsProvider.Select();
            var seeds = new SeedSequence(parse.GetValue(seed));
            string norm = $"position/content frobenius = {r.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; logit frobenius = 1";
            var builder = new TableBatchBuilder(Schemas.Contraction);
            var cells = (from size in sizes from d in dims select (size, d)).ToList();
            log.WithProgress("contraction", cells.Count, progress =>
            {
                int done = 0;
                foreach (var (size, d) in cells)
                {
                    var cell = new ContractionCell(size, d, dm, parse.GetValue(@base), parse.GetValue(head), parse.GetValue(heads), r);
                    var values = ContractionExperiment.Run(cell, encodings, count, seeds, parallel);
                    foreach (var pe in encodings)
                        foreach (var stat in ContractionExperiment.Statistics.Where(values[pe.Key].ContainsKey))
                        {
                            var random = seeds.Random($"ci/{pe.Key}/{stat}/{size}/{d}");
                            var s = ContractionExperiment.Summarise(values[pe.Key][stat], random, ciKind == "bootstrap" ? 2000 : 0);
                            builder.Add((C.Pe, pe.Key), (C.Coupling, pe.Coupling.ToString().ToLowerInvariant()), (C.N, size),
                                (C.DHead, d), (C.DModel, dm), (C.Norm, norm), (C.Instances, count), (C.Statistic, stat),
                                (C.Mean, s.Mean), (C.CiLow, s.CiLow), (C.CiHigh, s.CiHigh), (C.Median, s.Median),
                                (C.Std, s.Std), (C.Finite, s.Finite));
                        }
                    progress.Report(++done, $"n={size} d_head={d}");
                }
                return done;
            });

            var metadata = new Dictionary<string, string>
            {
                ["pe-spectrum.command"] = "contraction",
                ["pe-spectrum.provider"] = provider,
                ["pe-spectrum.ci"] = ciKind,
            };
            TableWriter.WriteTable(parse.GetValue(output)!, builder.Build(), tableFormat, metadata, context.Stdout);
            return ExitCode.Ok;
        });
        return cmd.WithExamples(
            new Example("the paper's claim C19 as numbers: RoPE vs additive PEs at matched norms", "pe-spectrum contraction --n 32,64,128 --d-head 16,64 --instances 200 --seed 0 -o contraction.csv"),
            new Example("a quick look: spread per unit Frobenius norm, 20 instances", "pe-spectrum contraction --n 64 --d-head 16 --instances 20 -o - | grep ',spread,'"),
            new Example("RoPE vs ALiBi with a position part 4× the content, Student-t intervals", "pe-spectrum contraction --pe rope,alibi,nope --n 128 --d-head 16 --ratio 4 --ci t --instances 50 -o -"));
    }
}
