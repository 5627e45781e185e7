using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using C = PeTools.Core.Tables.Schemas.AblationColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads ablate RUN --data D</c>: ablate every head of every layer in turn (paper Figs. 4, 5, 7).</summary>
internal static class AblateCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var mode = new Option<string>("--mode")
        {
            Description = "zero: the paper's (= zeroing the head's W_V rows and bias); mean: its mean output per position " +
                          "over the evaluated rows; resample: its output on another row of the batch (seeded)",
            DefaultValueFactory = _ => "zero",
            HelpName = "zero|mean|resample",
        };
        var allButOne = new Option<bool>("--all-but-one") { Description = "ablate every other head of the layer instead, keeping only the named head" };
        var command = o.AddTo(new Command("ablate", "Accuracy and loss with each head ablated, one at a time, by a hook on its output z (weights untouched).")
        {
            mode, allButOne,
        });
        command.SetAction(parse =>
        {
            var m = ParseMode(parse.GetValue(mode)!);
            var scope = parse.GetValue(allButOne) ? AblationScope.AllButHead : AblationScope.Head;
            using var s = o.Open(context, parse);
            using var ablation = new HeadAblation(s.Model, s.Data, s.BatchSize, s.IgnoreClass, s.Seeds);
            var rows = ablation.Sweep(s.Layers, m, scope, s.Log);
            o.Write(context, parse, ToTable(rows, s.Data.Name), s.Config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("the paper's protocol: zero-ablate every head, accuracy over the whole dataset",
                "pe-heads ablate runs/rope-dist --data dist.parquet -o ablate.csv"),
            new Example("the deposit, as numbers, straight from the ablation",
                "pe-heads ablate runs/rope-dist --data dist.parquet | pe-heads deposit -i -"),
            new Example("mean-ablation of layer 0 only, on the test split",
                "pe-heads ablate runs/rope-dist --data dist.parquet --mode mean --layers 0 --split test"),
            new Example("how much one head alone recovers: every other head of the layer resampled",
                "pe-heads ablate runs/rope-dist --data dist.parquet --mode resample --all-but-one --layers 0 --seed 3"));
    }

    public static AblationMode ParseMode(string text) => text switch
    {
        "zero" => AblationMode.Zero,
        "mean" => AblationMode.Mean,
        "resample" => AblationMode.Resample,
        _ => throw UsageError.Option("--mode", "zero, mean or resample", text),
    };

    public static string Name(AblationScope scope) => scope == AblationScope.Head ? "head" : "all-but-head";

    private static TableBatch ToTable(IEnumerable<AblationResult> rows, string split)
    {
        var t = new TableBatchBuilder(Schemas.Ablation);
        foreach (var r in rows)
            t.Add((C.Layer, r.Layer), (C.Head, r.Head), (C.Mode, r.Mode.ToString().ToLowerInvariant()), (C.Scope, Name(r.Scope)),
                (C.Split, split), (C.BaselineAccuracy, r.BaselineAccuracy), (C.Accuracy, r.Accuracy), (C.AccuracyDrop, r.AccuracyDrop),
                (C.BaselineLoss, r.BaselineLoss), (C.Loss, r.Loss), (C.LossIncrease, r.LossIncrease));
        return t.Build();
    }
}
