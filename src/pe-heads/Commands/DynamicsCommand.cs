using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Heads;
using PeTools.Core.Tables;
using PeTools.Torch.Heads;
using PeTools.Torch.Native;
using PeTools.Torch.Training;
using TorchSharp;
using C = PeTools.Core.Tables.Schemas.DynamicsColumns;

namespace PeTools.Heads.Commands;

/// <summary><c>pe-heads dynamics RUN --data D</c>: per-head zero-ablation drops at every snapshot, and Thm 6.1's margins.</summary>
internal static class DynamicsCommand
{
    public static Command Create(ToolContext context)
    {
        var o = new AnalysisOptions();
        var threshold = new Option<double>("--threshold") { Description = "a deposit has formed when the final top head is top with at least this drop", DefaultValueFactory = _ => new DepositThresholds().DepositDrop };
        var summary = new Option<string?>("--summary") { Description = "also write the per-(step, layer) summary: top head, Margin_l, gamma_l = Margin_l / Margin_(l+1), amplified (every gamma above it > 1: Thm 6.1), deposit_step", HelpName = "FILE" };
        var command = o.AddTo(new Command("dynamics",
            "Zero-ablate every head at every weight snapshot of a run (pe-train --save-every N) and at its final model; " +
            "rows (step, layer, head, baseline_accuracy, drop).") { threshold, summary });
        command.SetAction(parse =>
        {
            var log = o.Log(context, parse);
            var config = o.Run.ReadConfig(parse);
            int batch = o.Run.BatchSizeOf(parse);
            var layers = o.LayersOf(parse, config);
            var device = o.Run.StartTorch(parse, log);

            var drops = Dynamics.Measure(o.Run.RunDirectory(parse).Root, c => o.Run.LoadData(context, parse, c, device, log), layers, batch, device, log);
            if (parse.GetValue(summary) is { } summaryPath)
            {
                var s = new TableBatchBuilder(Schemas.DynamicsSummary);
                foreach (var r in Dynamics.Summarise(drops, parse.GetValue(threshold)))
                    s.Add((C.Step, r.Step), (C.Layer, r.Layer), (C.TopHead, r.TopHead), (C.TopDrop, r.TopDrop), (C.RunnerUpDrop, r.RunnerUpDrop),
                        (C.Margin, r.Margin), (C.Gamma, r.Gamma), (C.Amplified, r.Amplified ? 1 : 0), (C.FinalTopHead, r.FinalTopHead),
                        (C.DepositStep, r.DepositStep));
                TableWriter.WriteTable(summaryPath, s.Build(), CommonOptions.FormatOf(parse, o.Run.Format), stdout: context.Stdout);
            }
            var t = new TableBatchBuilder(Schemas.DynamicsDrops);
            foreach (var r in drops)
                t.Add((C.Step, r.Step), (C.Layer, r.Layer), (C.Head, r.Head), (C.BaselineAccuracy, r.BaselineAccuracy), (C.Drop, r.Drop));
            o.Write(context, parse, t.Build(), config);
            return ExitCode.Ok;
        });
        return command.WithExamples(
            new Example("train with snapshots every 50 steps, then follow the deposit as it forms",
                "pe-train --data dist.parquet --pe rope --epochs 20 --save-every 50 --out runs/rope-dyn && pe-heads dynamics runs/rope-dyn --data dist.parquet -o drops.csv --summary margins.csv"),
            new Example("layer 0 only, on the test split",
                "pe-heads dynamics runs/rope-dyn --data dist.parquet --layers 0 --split test"));
    }
}
