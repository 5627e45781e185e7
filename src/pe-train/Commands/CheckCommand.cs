using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Kernels;
using PeTools.Torch.Native;
using PeTools.Torch.Training;

namespace PeTools.Train.Commands;

/// <summary>
/// <c>pe-train check</c>: every fast path of the training step against its slow oracle on one device (forward,
/// gradients, flat AdamW, a few training steps, and on CUDA the absence of host syncs in a step), one row per check
/// (<see cref="FastPathCheck"/>). Exit 1 when any check fails. This is how a machine without .NET runs the GPU tests'
/// checks (bench/train/gpu-check.sh).
/// </summary>
internal static class CheckCommand
{
    public static Command Create(ToolContext context)
    {
        var cases = new Option<string?>("--cases") { Description = "only cases whose name contains one of these comma-separated texts, e.g. rope/reference,bf16", HelpName = "TEXTS" };
        var device = CommonOptions.Device();
        var libtorch = new Option<string?>("--libtorch") { Description = "libtorch lib folder (default: PE_LIBTORCH, PyTorch via python3, bundled CPU)", HelpName = "DIR" };
        var output = CommonOptions.Output("check table (.csv or .parquet), - for stdout");
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();
        var command = new Command("check", "Compare every fast path of the training step with its slow oracle on a device; one row per check.")
        {
            cases, device, libtorch, output, format, quiet,
        };
        command.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            var filters = parse.GetValue(cases)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            var chosen = FastPathCheck.DefaultCases.Where(c => filters.Length == 0 || filters.Any(f => c.Name.Contains(f, StringComparison.Ordinal))).ToList();
            if (chosen.Count == 0)
                throw UsageError.Option("--cases", "texts that match a case name, such as " + FastPathCheck.DefaultCases[1].Name, parse.GetValue(cases));
            var dev = LibTorchLocator.Initialise(parse.GetValue(device)!, parse.GetValue(libtorch), log);
            if (dev.type == TorchSharp.DeviceType.CUDA) log.Info(CudaKernels.Status(dev));
            var rows = new List<CheckRow>();
            foreach (var row in FastPathCheck.Run(dev, chosen))
            {
                rows.Add(row);
                log.Info($"{row.Status,-4} {row.Check,-9} {row.Case}: {row.Difference:G3} (tolerance {row.Tolerance:G3}) {row.Note}");
            }
            TableWriter.WriteTable(parse.GetValue(output)!, CheckRow.ToBatch(rows), CommonOptions.FormatOf(parse, format), stdout: context.Stdout);
            int failed = rows.Count(r => r.Failed), skipped = rows.Count(r => r.Status == FastPathCheck.Skip);
            log.Info($"{rows.Count - failed - skipped} passed, {failed} failed, {skipped} skipped");
            return failed == 0 ? ExitCode.Ok : ExitCode.Failure;
        });
        return command.WithExamples(
            new Example("fast paths against their oracles for RoPE in fp32, on CPU", "pe-train check --cases rope/reference/mha/fp32"),
            new Example("every case on a GPU, the table to a file", "pe-train check --device cuda -o check.csv"));
    }
}
