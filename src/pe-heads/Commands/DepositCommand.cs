using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Heads;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using A = PeTools.Core.Tables.Schemas.AblationColumns;
using D = PeTools.Core.Tables.Schemas.DepositColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads deposit -i ablate.csv</c>: the deposit as numbers, one row per layer (pure table → table).</summary>
internal static class DepositCommand
{
    public static Command Create(ToolContext context)
    {
        var input = CommonOptions.Input("ablation table from pe-heads ablate (.csv or .parquet), - for stdin");
        var output = CommonOptions.Output();
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet(); // accepted for symmetry with the other subcommands: deposit logs nothing
        var defaults = new DepositThresholds();
        var depositDrop = new Option<double>("--deposit-drop") { Description = "deposit: the top head's accuracy drop is at least this ...", DefaultValueFactory = _ => defaults.DepositDrop };
        var concentration = new Option<double>("--deposit-concentration") { Description = "... and its share of all positive drops at least this", DefaultValueFactory = _ => defaults.DepositConcentration };
        var shockMedian = new Option<double>("--shock-median") { Description = "shock (not a deposit): the median head's drop is at least this", DefaultValueFactory = _ => defaults.ShockMedian };
        var command = new Command("deposit",
            "Summarise an ablation table per (layer, mode, scope, split): top head, its drop, the runner-up's, Margin = top - " +
            "runner-up (paper Thm 6.1), concentration = top drop / sum of positive drops, Gini of the drops, and a label: " +
            "deposit (top drop >= --deposit-drop and concentration >= --deposit-concentration), else shock (median drop >= " +
            "--shock-median), else spread (top drop >= --deposit-drop: several heads matter, none dominates; not a paper " +
            "label), else average. all-but-head rows get n/a.")
        {
            input, output, format, quiet, depositDrop, concentration, shockMedian,
        };
        command.SetAction(parse =>
        {
            var thresholds = new DepositThresholds(parse.GetValue(depositDrop), parse.GetValue(concentration), parse.GetValue(shockMedian));
            TableBatch table;
            using (var reader = TableReader.Open(parse.GetValue(input)!, Schemas.Ablation, CommonOptions.FormatOf(parse, format), context.Stdin))
                table = reader.ReadAll();
            TableWriter.WriteTable(parse.GetValue(output)!, Summarise(table, thresholds, parse.GetValue(input)!), CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("label every layer of a saved ablation",
                "pe-heads deposit -i ablate.csv"),
            new Example("ablate and summarise in one pipeline",
                "pe-heads ablate runs/rope-dist --data dist.parquet -q | pe-heads deposit -i -"),
            new Example("only the deposit layers, with a stricter concentration",
                "pe-heads deposit -i ablate.csv --deposit-concentration 0.7 | grep ',deposit$'"));
    }

    /// <summary>One row per (layer, mode, scope, split), in order of first appearance; heads must be 0..H−1, each once.</summary>
    public static TableBatch Summarise(TableBatch ablation, DepositThresholds thresholds, string file)
    {
        var layer = ablation.Int32(A.Layer);
        var head = ablation.Int32(A.Head);
        var mode = ablation.String(A.Mode);
        var scope = ablation.String(A.Scope);
        var split = ablation.String(A.Split);
        var baseline = ablation.Float64(A.BaselineAccuracy);
        var drop = ablation.Float64(A.AccuracyDrop);
        var t = new TableBatchBuilder(Schemas.Deposit);
        var groups = Enumerable.Range(0, ablation.RowCount).GroupBy(r => (layer[r], mode[r], scope[r], split[r]));
        foreach (var g in groups)
        {
            var rows = g.OrderBy(r => head[r]).ToList();
            for (int k = 0; k < rows.Count; k++)
                if (head[rows[k]] != k)
                    throw InputError.AtRow(file, rows[k] + 1, A.Head, $"heads 0..{rows.Count - 1} once each in layer {g.Key.Item1}", head[rows[k]].ToString(System.Globalization.CultureInfo.InvariantCulture));
            var score = DepositScore.Summarise(rows.Select(r => drop[r]).ToList(), thresholds);
            var (l, m, sc, sp) = g.Key;
            t.Add((D.Layer, l), (D.Mode, m), (D.Scope, sc), (D.Split, sp), (D.Heads, score.Heads), (D.BaselineAccuracy, baseline[rows[0]]),
                (D.TopHead, score.TopHead), (D.TopDrop, score.TopDrop), (D.RunnerUpHead, score.RunnerUpHead), (D.RunnerUpDrop, score.RunnerUpDrop),
                (D.Margin, score.Margin), (D.Concentration, score.Concentration), (D.Gini, score.Gini), (D.MedianDrop, score.MedianDrop),
                (D.Pattern, sc == AblateCommand.Name(AblationScope.Head) ? score.Pattern.Name() : "n/a"));
        }
        return t.Build();
    }
}
