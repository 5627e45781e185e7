using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Report;
using PeTools.Report.Claims;
using PeTools.Report.Inputs;
using PeTools.Report.Output;
using PeTools.Report.Results;
using PeTools.Report.Sections;
using V = PeTools.Core.Tables.Schemas.ClaimColumns;

namespace PeTools.ReportTool.Commands;

/// <summary>
/// <c>pe-report TABLES... -o DIR [--claims claims.csv]</c>: reads any metrics, head-ablation, positional-vector,
/// dynamics, probe, spectrum, contraction and hessian tables, and writes DIR/report.md, DIR/report.html and
/// DIR/figures/*.png|svg, with a section per figure kind of the paper whose tables are present.
/// </summary>
internal static class ReportRoot
{
    public const string ToolName = "pe-report";

    public static RootCommand Build(ToolContext context)
    {
        var tables = new Argument<string[]>("TABLES")
        {
            Description = "tables (.csv/.parquet), folders (every table under them), globs ('runs/*/metrics.parquet', ** for any depth) or - for stdin",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string>("--out", "-o") { Description = "report folder: report.md, report.html, figures/", Required = true, HelpName = "DIR" };
        var claims = new Option<string?>("--claims") { Description = "claims table (id, claim, paper, figure, rule[, note]): adds the paper-vs-ours section", HelpName = "FILE" };
        var verdicts = new Option<string?>("--verdicts") { Description = "also write the verdicts as a claim-verdicts table (.csv/.parquet, - for stdout); needs --claims", HelpName = "FILE" };
        var title = new Option<string>("--title") { Description = "report title", DefaultValueFactory = _ => ReportBuilder.DefaultTitle };
        var format = CommonOptions.Format();
        var quiet = CommonOptions.Quiet();
        var root = new RootCommand(
            "Build a report from pe-tools tables: the table kind is told from the columns (or Parquet metadata), the run of " +
            "per-run tables from their pe_tools.run_config metadata, a config.json beside them or a name TASK-PE-sSEED. " +
            "Sections appear only when their tables are given; runs of one task and PE are aggregated over seeds.")
        {
            tables, output, claims, verdicts, title, format, quiet,
        };
        root.Add(RulesCommand.Create(context));
        root.SetAction(parse =>
        {
            var log = new StderrLog(context, parse.GetValue(quiet));
            var tableFormat = CommonOptions.FormatOf(parse, format);
            var verdictsPath = parse.GetValue(verdicts);
            var claimsPath = parse.GetValue(claims);
            if (verdictsPath is not null && claimsPath is null)
                throw UsageError.Option("--verdicts", "--claims FILE beside it", verdictsPath);
            var claimList = claimsPath is null ? null : ClaimsFile.Read(claimsPath);
            var inputs = new InputLoader(log, context.Stdin, tableFormat).Load(parse.GetValue(tables) ?? []);
            if (inputs.Tables.Count == 0)
                throw new UsageError("none of the inputs is a table pe-report reads (" + string.Join(", ", ReportKinds.Read.Select(s => s.Kind)) + ")");
            var data = new ReportData(inputs, claimList);
            var report = ReportBuilder.Build(data, parse.GetValue(title)!, log);
            if (verdictsPath is not null)
                TableWriter.WriteTable(verdictsPath, VerdictTable(data), tableFormat, stdout: context.Stdout);
            var dir = parse.GetValue(output)!;
            ReportWriter.Write(dir, report);
            log.Info($"wrote {Path.Combine(dir, ReportWriter.HtmlFile)}, {ReportWriter.MarkdownFile} and {report.Figures.Count} figures: " +
                     string.Join(", ", report.Sections));
            return ExitCode.Ok;
        });
        return root.WithExamples(
            new Example("a report of every table under a folder of runs",
                "pe-report runs -o report"),
            new Example("only some tables (the quotes let pe-report expand the globs), with the paper-vs-ours section",
                "pe-report 'runs/*/metrics.parquet' 'runs/*/ablate.parquet' --claims examples/paper/claims.csv -o report"),
            new Example("the verdicts as CSV on stdout besides the report",
                "pe-report runs --claims examples/paper/claims.csv --verdicts - -o report -q | cut -d, -f1,2"),
            new Example("the committed GPU results (runs named TASK-PE-ATTENTION-sSEED)",
                "pe-report 'examples/results/gpu/grid/*.metrics.csv' 'examples/results/gpu/grid/*.ablate.csv' examples/results/contraction.csv -o gpu-report"));
    }

    private static TableBatch VerdictTable(ReportData data)
    {
        var t = new TableBatchBuilder(Schemas.ClaimVerdicts);
        foreach (var (c, v) in ClaimsSection.Evaluate(data))
            t.Add((V.Id, c.Id), (V.Claim, c.Statement), (V.Paper, c.Paper), (V.Ours, v.Ours), (V.Verdict, v.OutcomeName),
                (V.Reason, v.Reason), (V.Figure, c.Figure), (V.Rule, c.RuleText));
        return t.Build();
    }
}
