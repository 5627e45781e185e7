using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using static PeTools.Core.Tests.Tasks.Generated;
using TaskRegistry = PeTools.Core.Tasks.Tasks;

namespace PeTools.Core.Tests.Tasks;

/// <summary>Properties every registered task must have; new tasks join these tests by joining the registry.</summary>
public class TasksTests
{
    public static TheoryData<string> Keys() => new(TaskRegistry.All.Select(t => t.Key));

    private static SyntheticTask Small(string key, long seed, IReadOnlyList<int>? testLens = null) =>
        TaskRegistry.Get(key).Build(new Dictionary<string, int> { ["n-train"] = 1100, ["n-test"] = 300 }, seed,
            testSeqLens: testLens);

    [Fact]
    public void The_registry_holds_the_papers_two_tasks_with_their_couplings()
    {
        Assert.Equal(PositionDependence.Dependent, TaskRegistry.Get("distance").Dependence);
        Assert.Equal(PositionDependence.Independent, TaskRegistry.Get("count").Dependence);
        Assert.Equal(TaskRegistry.All.Count, TaskRegistry.All.Select(t => t.Key).Distinct().Count());
        Assert.Throws<Errors.UsageError>(() => TaskRegistry.Get("nope"));
    }

    [Theory]
    [InlineData("distance", 70_000, 30_000)]
    [InlineData("count", 35_000, 15_000)]
    public void Defaults_are_the_references_70_30_split(string key, int train, int test)
    {
        var task = TaskRegistry.Get(key).Build();
        Assert.Equal([train, test], task.Splits.Select(s => s.Rows));
        Assert.Equal(120, task.SeqLen);
        Assert.Equal(574, task.Vocab);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Same_seed_gives_byte_identical_csv_and_parquet(string key)
    {
        foreach (var ext in new[] { ".csv", ".parquet" })
        {
            var a = File.ReadAllBytes(Write(Small(key, 11, [200]), ext));
            var b = File.ReadAllBytes(Write(Small(key, 11, [200]), ext));
            Assert.Equal(a, b);
        }
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Different_seeds_give_different_data_and_triggers(string key)
    {
        var a = Small(key, 1);
        var b = Small(key, 2);
        Assert.NotEqual(Triggers(a), Triggers(b));
        Assert.NotEqual(Rows(a).Select(r => r.Target), Rows(b).Select(r => r.Target));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void No_sequence_is_shared_between_splits_or_contains_padding(string key)
    {
        var rows = Rows(Small(key, 5, [160]));
        Assert.Equal(rows.Count, rows.Select(r => string.Join(' ', r.Tokens)).Distinct().Count());
        Assert.DoesNotContain(rows, r => r.Tokens.Contains(CommonParameters.PaddingId));
        Assert.Equal(["train", "test", "test-160"], rows.Select(r => r.Split).Distinct());
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Parquet_metadata_records_task_parameters_and_triggers(string key)
    {
        var task = Small(key, 9, [300]);
        var path = Write(task, ".parquet");
        using var reader = TableReader.Open(path, Schemas.Dataset);
        Assert.Equal(key, reader.Metadata[SyntheticTask.TaskKey]);
        Assert.Equal(task.Metadata()[SyntheticTask.TriggersKey], reader.Metadata[SyntheticTask.TriggersKey]);
        var p = System.Text.Json.JsonDocument.Parse(reader.Metadata[SyntheticTask.ParamsKey]).RootElement;
        Assert.Equal(9, p.GetProperty("seed").GetInt64());
        Assert.Equal(1100, p.GetProperty("n-train").GetInt32());
        Assert.Equal(300, p.GetProperty("test-seq-len")[0].GetInt32());
        Assert.Equal(["train", "test", "test-300"], p.GetProperty("splits").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(Rows(task).Count, reader.ReadAll().RowCount);
    }
}
