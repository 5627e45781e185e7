using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using C = PeTools.Core.Tables.Schemas.AttentionMapColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads maps RUN --data D</c>: each head's mean attention pattern.</summary>
internal static class MapsCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var maxLen = new Option<int>("--max-len") { Description = "only query and key positions below this (keeps the table small)", DefaultValueFactory = _ => 64, HelpName = "N" };
        var command = o.AddTo(new Command("maps",
            "Mean attention weight per (layer, head, query, key), over the rows in which both positions hold real tokens: " +
            "padding cells are left out, not averaged in as zeros (the Reference architecture does attend to padding; " +
            "that mass is why a row of weights may sum to less than 1).") { maxLen });
        command.SetAction(parse =>
        {
            int n = parse.GetValue(maxLen) is var v && v > 0 ? v : throw UsageError.Option("--max-len", "a positive integer", v);
            using var s = o.Open(context, parse);
            var maps = AttentionMaps.Measure(s.Model, s.Data, s.Layers, s.BatchSize, n, s.Log);
            var t = new TableBatchBuilder(Schemas.AttentionMap);
            foreach (var map in maps)
                for (int h = 0; h < map.Weights.GetLength(0); h++)
                    for (int i = 0; i < map.Weights.GetLength(1); i++)
                        for (int j = 0; j < map.Weights.GetLength(2); j++)
                            if (map.Sequences[i, j] > 0)
                                t.Add((C.Layer, map.Layer), (C.Head, h), (C.Query, i), (C.Key, j), (C.Weight, map.Weights[h, i, j]),
                                    (C.Sequences, map.Sequences[i, j]));
            o.Write(context, parse, t.Build(), s.Config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("layer-0 attention maps of every head, first 32 positions",
                "pe-heads maps runs/rope-dist --data dist.parquet --layers 0 --max-len 32 -o maps.csv"),
            new Example("head 1 of layer 0 only",
                "pe-heads maps runs/rope-dist --data dist.parquet --layers 0 | awk -F, 'NR==1 || $2==1'"));
    }
}
