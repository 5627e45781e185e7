using DuckDB.NET.Data;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using PeTools.Core.Tests.Tasks;
using static PeTools.Core.Tables.Schemas;

namespace PeTools.Core.Tests.Tables;

public class RoundTripTests
{
    private static readonly SyntheticTask Task = DistanceTask.Info.Build(
        new Dictionary<string, int> { ["n-train"] = 700, ["n-test"] = 300 }, seed: 4, testSeqLens: [200]);

    private static void AssertSameRows(TableBatch expected, TableBatch actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.String(DatasetColumns.Split), actual.String(DatasetColumns.Split));
        Assert.Equal(expected.Int32(DatasetColumns.Target), actual.Int32(DatasetColumns.Target));
        Assert.Equal(expected.Int32List(DatasetColumns.Tokens), actual.Int32List(DatasetColumns.Tokens));
    }

    [Fact]
    public void Parquet_to_csv_to_parquet_keeps_every_row_and_the_metadata()
    {
        var parquet = Generated.Write(Task, ".parquet");
        TableBatch original;
        IReadOnlyDictionary<string, string> meta;
        using (var r = TableReader.Open(parquet, Dataset))
        {
            original = r.ReadAll();
            meta = r.Metadata;
        }
        var csv = Generated.TempFile(".csv");
        using (var w = TableWriter.Create(csv, Dataset))
        {
            w.Write(original);
            w.Commit();
        }
        TableBatch viaCsv;
        using (var r = TableReader.Open(csv, Dataset)) viaCsv = r.ReadAll();
        AssertSameRows(original, viaCsv);

        var again = Generated.TempFile(".parquet");
        using (var w = TableWriter.Create(again, Dataset, metadata: meta))
        {
            w.Write(viaCsv);
            w.Commit();
        }
        using var back = TableReader.Open(again, Dataset);
        AssertSameRows(original, back.ReadAll());
        foreach (var key in new[] { SyntheticTask.TaskKey, SyntheticTask.ParamsKey, SyntheticTask.TriggersKey })
            Assert.Equal(Task.Metadata()[key], back.Metadata[key]);
        // Same rows and metadata through the same writer give the same bytes.
        Assert.Equal(File.ReadAllBytes(parquet), File.ReadAllBytes(again));
    }

    [Fact]
    public void Stdout_and_stdin_carry_parquet_and_the_reader_sniffs_it()
    {
        var sink = new MemoryStream();
        using (var w = TableWriter.Create("-", Dataset, TableFormat.Parquet, Task.Metadata(), sink))
        {
            foreach (var b in DatasetGenerator.Generate(Task)) w.Write(b);
            w.Commit();
        }
        using var r = TableReader.Open("-", Dataset, stdin: new MemoryStream(sink.ToArray()));
        Assert.Equal(1300, r.ReadAll().RowCount);
        Assert.Equal("distance", r.Metadata[SyntheticTask.TaskKey]);
    }

    [Fact]
    public void DuckDB_reads_our_parquet_with_tokens_as_a_list_of_int32()
    {
        var path = Generated.Write(Task, ".parquet");
        var rows = Generated.Rows(Task);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT split, tokens, target, typeof(tokens) FROM read_parquet('{path}')";
        using var reader = cmd.ExecuteReader();
        int i = 0;
        while (reader.Read())
        {
            Assert.Equal("INTEGER[]", reader.GetString(3));
            Assert.Equal(rows[i].Split, reader.GetString(0));
            Assert.Equal(rows[i].Tokens, reader.GetFieldValue<List<int>>(1));
            Assert.Equal(rows[i].Target, reader.GetInt32(2));
            i++;
        }
        Assert.Equal(rows.Count, i);

        cmd.CommandText = $"SELECT decode(value) FROM parquet_kv_metadata('{path}') WHERE decode(key) = 'pe_tools.task'";
        Assert.Equal("distance", (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public void Uncompressed_parquet_holds_the_same_rows_in_more_bytes()
    {
        var snappy = Generated.Write(Task, ".parquet");
        var plain = Generated.TempFile(".parquet");
        using (var w = TableWriter.Create(plain, Dataset, metadata: Task.Metadata(), compress: false))
        {
            foreach (var b in DatasetGenerator.Generate(Task)) w.Write(b);
            w.Commit();
        }
        Assert.True(new FileInfo(plain).Length > new FileInfo(snappy).Length * 1.2);
        using var a = TableReader.Open(snappy, Dataset);
        using var b2 = TableReader.Open(plain, Dataset);
        AssertSameRows(a.ReadAll(), b2.ReadAll());
    }

    [Fact]
    public void An_uncommitted_writer_leaves_no_file_behind()
    {
        var path = Generated.TempFile(".parquet");
        using (var w = TableWriter.Create(path, Dataset))
            w.Write(DatasetGenerator.Generate(Task).First());
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*"));
    }
}
