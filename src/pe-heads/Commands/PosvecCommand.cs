using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using C = PeTools.Core.Tables.Schemas.PositionalVectorsColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads posvec RUN --data D</c>: paper Fig. 8, removing p_i vs norm-matched random vectors per layer.</summary>
internal static class PosvecCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var draws = new Option<int>("--draws") { Description = "random draws per layer (norm-matched per position, seeded)", DefaultValueFactory = _ => 10, HelpName = "N" };
        var command = o.AddTo(new Command("posvec",
            "At the input of each layer (blocks.{l}.resid_pre) subtract the model's positional vectors p_i = AddToEmbedding(0), " +
            "or random vectors of the same norm per position, and report accuracy (paper Fig. 8). Only for PEs that add " +
            "vectors at the input (sinusoidal, learned, rope-abs). In the Reference architecture the K/V memory keeps p_i.") { draws });
        command.SetAction(parse =>
        {
            int n = parse.GetValue(draws) is var d && d >= 2 ? d : throw UsageError.Option("--draws", "at least 2 (a std needs two draws)", d);
            using var s = o.Open(context, parse);
            using var p = PositionalVectors.Of(s.Model, s.Data.Length, s.Device)
                ?? throw new UsageError($"{parse.GetValue(o.Run.Run)}: posvec is not applicable to --pe {s.Config.Model.Pe}: it adds no positional vectors at the input");
            var rows = PositionalVectors.Sweep(s.Model, s.Data, p, s.Layers, n, s.BatchSize, s.IgnoreClass, s.Seeds, s.Log);
            var t = new TableBatchBuilder(Schemas.PositionalVectors);
            foreach (var r in rows)
                t.Add((C.Layer, r.Layer), (C.Kind, r.Kind), (C.Stat, r.Stat), (C.Draw, r.Draw), (C.Accuracy, r.Accuracy),
                    (C.BaselineAccuracy, r.BaselineAccuracy));
            o.Write(context, parse, t.Build(), s.Config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("Fig. 8 for a sinusoidal-PE run: p_i vs 10 random draws at every layer",
                "pe-heads posvec runs/abs-dist --data dist.parquet -o posvec.csv"),
            new Example("only the summary rows (p_i and the random mean/std)",
                "pe-heads posvec runs/abs-dist --data dist.parquet --draws 20 -q | grep -v ',random,draw,'"));
    }
}
