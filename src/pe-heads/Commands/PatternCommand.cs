using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using C = PeTools.Core.Tables.Schemas.TriggerAttentionColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads pattern RUN --data D --layer 0 --head H</c>: does the head look from one trigger to the other?</summary>
internal static class PatternCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var layer = new Option<int>("--layer") { Description = "0-based layer", DefaultValueFactory = _ => 0 };
        var head = new Option<int?>("--head") { Description = "0-based head (default: every head of the layer, to compare)", HelpName = "H" };
        var triggers = new Option<string?>("--triggers") { Description = "the two trigger token ids; default: the two tokens that occur exactly once in every row", HelpName = "A,B" };
        var command = o.AddTo(new Command("pattern",
            "Mean attention from each trigger token to the other, against the uniform baseline 1/(keys the query can see); " +
            "rows holding each trigger exactly once.") { layer, head, triggers }, withLayers: false);
        command.SetAction(parse =>
        {
            using var s = o.Open(context, parse);
            int l = LayerList.Parse(parse.GetValue(layer).ToString(System.Globalization.CultureInfo.InvariantCulture), s.Config.Model.Layers, "--layer")[0];
            int heads = s.Config.Model.Heads;
            var chosen = parse.GetValue(head) is { } h
                ? (h >= 0 && h < heads ? [h] : throw UsageError.Option("--head", $"a head index in 0..{heads - 1}", h))
                : Enumerable.Range(0, heads).ToList();
            var (a, b) = Triggers(parse.GetValue(triggers), s);
            var rows = TriggerAttention.Measure(s.Model, s.Data, l, chosen, a, b, s.BatchSize, s.Log);
            var t = new TableBatchBuilder(Schemas.TriggerAttention);
            foreach (var r in rows)
                t.Add((C.Layer, r.Layer), (C.Head, r.Head), (C.FromToken, r.From), (C.ToToken, r.To), (C.Weight, r.Weight),
                    (C.Uniform, r.Uniform), (C.Ratio, r.Ratio), (C.Sequences, r.Sequences));
            o.Write(context, parse, t.Build(), s.Config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("the deposit head's trigger-to-trigger attention (head 1 of layer 0)",
                "pe-heads pattern runs/rope-dist --data dist.parquet --layer 0 --head 1"),
            new Example("every head of layer 0, triggers named explicitly",
                "pe-heads pattern runs/rope-dist --data dist.parquet --triggers 1,2 -o pattern.csv"));
    }

    private static (int A, int B) Triggers(string? text, AnalysisSession s)
    {
        if (text is not null)
        {
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out var a) && int.TryParse(parts[1], out var b) && a != b
                && a > 0 && b > 0 && a < s.Config.Model.Vocab && b < s.Config.Model.Vocab)
                return (a, b);
            throw UsageError.Option("--triggers", $"two different token ids in 1..{s.Config.Model.Vocab - 1}, like 1,2", text);
        }
        var found = TriggerAttention.FindTriggers(s.Data.Tokens, s.Config.Model.PadId);
        return found.Count == 2
            ? (found[0], found[1])
            : throw new InputError(s.Data.Name == AnalysisData.All ? "--data" : $"--split {s.Data.Name}", "tokens",
                "exactly two tokens that occur once in every row (or pass --triggers A,B)",
                found.Count == 0 ? "none" : $"{found.Count}: {string.Join(",", found.Take(8))}");
    }
}
