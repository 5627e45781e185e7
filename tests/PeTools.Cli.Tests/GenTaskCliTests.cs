using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using PeTools.GenTask.Commands;

namespace PeTools.Cli.Tests;

public class GenTaskCliTests
{
    private static ToolRun Run(params string[] args) => ToolRun.Of(GenTaskRoot.ToolName, GenTaskRoot.Build, args);

    private static string TempPath(string extension)
    {
        var dir = Path.Combine(Path.GetTempPath(), "pe-tools-cli-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{Guid.NewGuid():N}{extension}");
    }

    private static void AssertOneLineError(ToolRun run, int exitCode, string contains)
    {
        Assert.Equal(exitCode, run.ExitCode);
        var lines = run.Stderr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("pe-gen-task: ", lines[0]);
        Assert.Contains(contains, lines[0]);
        Assert.DoesNotContain("   at ", run.Stderr); // no stack trace
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData("distance")]
    [InlineData("count")]
    public void A_task_writes_csv_with_the_asked_rows_to_stdout(string task)
    {
        var run = Run(task, "--n-train", "7", "--n-test", "3", "--seed", "5", "-q");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr); // -q: nothing on stderr
        var lines = run.StdoutText.TrimEnd('\n').Split('\n');
        Assert.Equal("split,tokens,target", lines[0]);
        Assert.Equal(7, lines.Count(l => l.StartsWith("train,")));
        Assert.Equal(3, lines.Count(l => l.StartsWith("test,")));
    }

    [Fact]
    public void Parquet_output_file_carries_the_rows_and_the_metadata()
    {
        var path = TempPath(".parquet");
        var run = Run("distance", "--n-train", "50", "--n-test", "20", "--test-seq-len", "200", "--test-seq-len", "300",
            "-o", path);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("wrote 110 rows (train 50, test 20, test-200 20, test-300 20)", run.Stderr);
        using var reader = TableReader.Open(path, Schemas.Dataset);
        Assert.Equal(110, reader.ReadAll().RowCount);
        Assert.Equal("distance", reader.Metadata[SyntheticTask.TaskKey]);
        Assert.Contains("\"test-seq-len\":[200,300]", reader.Metadata[SyntheticTask.ParamsKey]);
    }

    [Fact]
    public void Same_seed_same_bytes_on_stdout_in_both_formats()
    {
        foreach (var format in new[] { "csv", "parquet" })
        {
            var a = Run("count", "--n-train", "40", "--n-test", "10", "--seed", "3", "--format", format, "-q");
            var b = Run("count", "--n-train", "40", "--n-test", "10", "--seed", "3", "--format", format, "-q");
            var c = Run("count", "--n-train", "40", "--n-test", "10", "--seed", "4", "--format", format, "-q");
            Assert.Equal(0, a.ExitCode);
            Assert.Equal(a.Stdout, b.Stdout);
            Assert.NotEqual(a.Stdout, c.Stdout);
        }
    }

    [Fact]
    public void List_prints_every_registered_task_with_its_dependence()
    {
        var run = Run("list");
        Assert.Equal(0, run.ExitCode);
        var lines = run.StdoutText.TrimEnd('\n').Split('\n');
        Assert.Equal("name,content_position,description", lines[0]);
        Assert.StartsWith("distance,dependent,", lines[1]);
        Assert.StartsWith("count,independent,", lines[2]);
        Assert.Equal(Tasks.All.Count + 1, lines.Length);
    }

    [Fact]
    public void Schema_lists_every_column_of_every_schema_and_renders_markdown()
    {
        var csv = Run("schema");
        Assert.Equal(0, csv.ExitCode);
        Assert.Contains("dataset,tokens,list<int32>,yes,", csv.StdoutText);
        Assert.Equal(Schemas.All.Sum(s => s.Columns.Count) + 1, csv.StdoutText.TrimEnd('\n').Split('\n').Length);

        var md = Run("schema", "--markdown");
        Assert.Equal(0, md.ExitCode);
        foreach (var s in Schemas.All) Assert.Contains($"### {s.Kind}\n", md.StdoutText);
        Assert.Contains("| `tokens` | list&lt;int32&gt; | yes |", md.StdoutText);
        Assert.Contains("test-&lt;len&gt;", md.StdoutText);
    }

    [Theory]
    [InlineData("")]
    [InlineData("list")]
    [InlineData("schema")]
    [InlineData("distance")]
    [InlineData("count")]
    public void Help_ends_with_runnable_examples(string command)
    {
        var args = command == "" ? new[] { "--help" } : new[] { command, "--help" };
        var run = Run(args);
        Assert.Equal(0, run.ExitCode);
        var text = run.StdoutText;
        int at = text.IndexOf("Examples:", StringComparison.Ordinal);
        Assert.True(at > 0, "no Examples: section");
        var examples = text[at..].Split('\n').Where(l => l.StartsWith("  pe-gen-task")).ToList();
        Assert.InRange(examples.Count, 2, 4);
        Assert.DoesNotContain(text[at..].Split('\n'), l => l.Trim().Length > 0 && !l.StartsWith("  ") && l != "Examples:");
    }

    [Fact]
    public void Every_example_parses_without_errors()
    {
        // The end-to-end tier runs them on real data; here each must at least be a valid command line.
        var root = GenTaskRoot.Build(new ToolContext("pe-gen-task", Stream.Null, Stream.Null, TextWriter.Null));
        foreach (var e in Cli.ExampleRegistry.All(root))
        {
            var line = e.CommandLine.Split('|')[0].Split('>')[0].Trim();
            var parse = root.Parse(line["pe-gen-task".Length..].Trim());
            Assert.True(parse.Errors.Count == 0, $"{line}: {string.Join("; ", parse.Errors.Select(x => x.Message))}");
        }
    }

    [Fact]
    public void An_unknown_option_at_the_root_is_exit_2_pointing_at_help()
    {
        AssertOneLineError(Run("--bogus"), 2, "(see pe-gen-task --help)");
    }

    [Fact]
    public void An_unknown_option_of_a_task_is_exit_2_pointing_at_its_help()
    {
        AssertOneLineError(Run("distance", "--bogus"), 2, "(see pe-gen-task distance --help)");
    }

    [Theory]
    [InlineData("--n-train", "-5", "option --n-train: expected an integer >= 1, found -5")]
    [InlineData("--n-test", "0", "option --n-test")]
    [InlineData("--seq-len", "50", "option --seq-len: expected at least 98")]
    [InlineData("--vocab", "40", "option --vocab")]
    [InlineData("--test-seq-len", "abc", "option --test-seq-len")]
    [InlineData("--test-seq-len", "100", "lengths above --seq-len")]
    public void Impossible_sizes_are_exit_2_with_one_line(string option, string value, string message)
    {
        AssertOneLineError(Run("distance", option, value, "-q"), 2, message);
    }

    [Fact]
    public void A_non_integer_size_is_a_parse_error()
    {
        AssertOneLineError(Run("count", "--n-train", "many"), 2, "(see pe-gen-task count --help)");
    }

    [Fact]
    public void An_unknown_extension_is_exit_2_and_leaves_no_file()
    {
        var path = TempPath(".txt");
        AssertOneLineError(Run("count", "-o", path, "-q"), 2, "cannot tell the table format");
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Markdown_with_an_output_file_is_a_usage_error()
    {
        AssertOneLineError(Run("schema", "--markdown", "-o", TempPath(".csv")), 2, "--markdown");
    }

    [Fact]
    public void Without_a_command_the_tool_says_so_with_exit_2()
    {
        AssertOneLineError(Run(), 2, "(see pe-gen-task --help)");
    }
}
