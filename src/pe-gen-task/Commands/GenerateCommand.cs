using System.CommandLine;
using PeTools.Cli;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;

namespace PeTools.GenTask.Commands;

/// <summary>
/// <c>pe-gen-task &lt;task&gt;</c>: one subcommand per registry row, whose options are the task's parameters (with
/// the paper's defaults) plus the shared ones. Rows stream from the generator to the writer in chunks, so the size
/// of a dataset is bounded by disk, not memory.
/// </summary>
public static class GenerateCommand
{
    public static Command Create(ToolContext context, TaskInfo task)
    {
        var output = CommonOptions.Output("output dataset (.csv or .parquet), - for stdout");
        var format = CommonOptions.Format();
        var seed = CommonOptions.Seed();
        var quiet = CommonOptions.Quiet();
        var faithful = new Option<bool>("--faithful")
        {
            Description = "reproduce the released reference generator, quirks included: " + task.FaithfulRule,
        };
        var uncompressed = new Option<bool>("--uncompressed")
        {
            Description = "Parquet pages without Snappy: ~1.6x larger (token ids barely compress), ~2x faster to write",
        };
        var testSeqLen = new Option<string[]>("--test-seq-len")
        {
            Description = "add a held-out split test-N of --n-test rows per length N > --seq-len " +
                          "(repeat it or give a comma list). " + task.LengthRule,
            HelpName = "N[,N...]",
        };
        var parameters = task.Parameters
            .Select(p => (Parameter: p, Option: new Option<int>(p.OptionName)
            {
                Description = p.Description,
                DefaultValueFactory = _ => p.Default,
                HelpName = "N",
            }))
            .ToList();

        var cmd = new Command(task.Key, $"Generate the '{task.Key}' dataset: {task.Description}.")
        {
            output, format, seed, quiet, faithful, testSeqLen, uncompressed,
        };
        foreach (var (_, option) in parameters) cmd.Options.Add(option);

        cmd.SetAction(parse =>
        {
            var values = parameters.ToDictionary(x => x.Parameter.Name, x => parse.GetValue(x.Option));
            var generator = task.Build(values, parse.GetValue(seed), parse.GetValue(faithful),
                TaskSettings.ParseLengths(parse.GetValue(testSeqLen) ?? []));
            var path = parse.GetValue(output)!;
            var log = new StderrLog(context, parse.GetValue(quiet));
            using var writer = TableWriter.Create(path, Schemas.Dataset, CommonOptions.FormatOf(parse, format),
                generator.Metadata(), context.Stdout, compress: !parse.GetValue(uncompressed));
            log.WithProgress($"{task.Key} rows", generator.TotalRows, progress =>
            {
                foreach (var batch in DatasetGenerator.Generate(generator, done => progress.Report(done)))
                    writer.Write(batch);
                return 0;
            });
            writer.Commit();
            log.Info($"wrote {generator.TotalRows} rows (" +
                     string.Join(", ", generator.Splits.Select(s => $"{s.Name} {s.Rows}")) +
                     $"), triggers {string.Join(" ", generator.Triggers)}, to {(path == TableFormats.StdStream ? "stdout" : path)}");
            return 0;
        });

        return cmd.WithExamples(Examples(task.Key));
    }

    private static Example[] Examples(string key) =>
    [
        new($"the paper's {key} dataset with its defaults", $"pe-gen-task {key} -o {key}.parquet"),
        new("a small CSV sample on stdout, reproducible by seed", $"pe-gen-task {key} --n-train 5 --n-test 2 --seed 7 -q"),
        new("extra held-out splits with longer sequences (length generalisation)",
            $"pe-gen-task {key} --test-seq-len 240,480 -o {key}-long.parquet"),
        new("the reference generator's behaviour, quirks included", $"pe-gen-task {key} --faithful -o {key}-ref.parquet"),
    ];
}
