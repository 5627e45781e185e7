using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using C = PeTools.Core.Tables.Schemas.HeadStatsColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads stats RUN --data D</c>: entropy, distance, Toeplitz share and first/last-token mass per head.</summary>
internal static class StatsCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var command = o.AddTo(new Command("stats",
            "Per head: attention entropy (nats), mean attention distance sum_j a_ij |i-j|, the Toeplitz share of the logits " +
            "(energy of the real-token block kept by averaging each diagonal; 1 = the logits depend on i-j only), and the " +
            "attention mass on the first and the last real token; means over real query positions."));
        command.SetAction(parse =>
        {
            using var s = o.Open(context, parse);
            var stats = AttentionStats.Measure(s.Model, s.Data, s.Layers, s.BatchSize, s.Log);
            var t = new TableBatchBuilder(Schemas.HeadStats);
            foreach (var r in stats)
                t.Add((C.Layer, r.Layer), (C.Head, r.Head), (C.Split, s.Data.Name), (C.Entropy, r.Entropy), (C.MeanDistance, r.MeanDistance),
                    (C.ToeplitzShare, r.ToeplitzShare), (C.FirstTokenMass, r.FirstTokenMass), (C.LastTokenMass, r.LastTokenMass));
            o.Write(context, parse, t.Build(), s.Config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("statistics of every head, whole dataset",
                "pe-heads stats runs/rope-dist --data dist.parquet -o stats.csv"),
            new Example("the most position-driven heads first (Toeplitz share, column 6)",
                "pe-heads stats runs/rope-dist --data dist.parquet -q | sort -t, -k6 -gr | head"));
    }
}
