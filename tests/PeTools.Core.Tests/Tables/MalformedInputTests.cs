using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using PeTools.Core.Tests.Tasks;
using static PeTools.Core.Tables.Schemas;

namespace PeTools.Core.Tests.Tables;

/// <summary>Every malformed input is one InputError, one line, naming the file and the place.</summary>
public class MalformedInputTests
{
    private static InputError ReadFails(string path)
    {
        return Assert.Throws<InputError>(() =>
        {
            using var r = TableReader.Open(path, Dataset);
            _ = r.ReadAll();
        });
    }

    private static string Csv(string text)
    {
        var path = Generated.TempFile(".csv");
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertOneLine(InputError e, string path, params string[] parts)
    {
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith(path + ": ", e.Message);
        foreach (var p in parts) Assert.True(e.Message.Contains(p, StringComparison.Ordinal), $"'{p}' not in: {e.Message}");
    }

    [Fact]
    public void Csv_without_a_required_column_names_the_column()
    {
        var path = Csv("split,tokens\ntrain,1 2 3\n");
        AssertOneLine(ReadFails(path), path, "header", "'target'");
    }

    [Fact]
    public void Csv_with_text_in_an_int_column_names_row_and_column()
    {
        var path = Csv("split,tokens,target\ntrain,1 2 3,4\ntest,5 6,seven\n");
        AssertOneLine(ReadFails(path), path, "row 2", "column 'target'", "expected int32", "'seven'");
    }

    [Fact]
    public void Ragged_csv_names_the_row()
    {
        var path = Csv("split,tokens,target\ntrain,1 2 3,4\ntest,5 6\n");
        AssertOneLine(ReadFails(path), path, "row 2", "3 fields");
    }

    [Fact]
    public void A_bad_list_cell_names_row_and_column()
    {
        var path = Csv("split,tokens,target\ntrain,1 2 x,4\n");
        AssertOneLine(ReadFails(path), path, "row 1", "column 'tokens'", "list<int32>");
    }

    [Fact]
    public void Parquet_with_a_string_where_an_int_belongs_names_the_column()
    {
        var wrong = new TableSchema("dataset", "", [
            new(DatasetColumns.Split, ColumnType.String, ""),
            new(DatasetColumns.Tokens, ColumnType.Int32List, ""),
            new(DatasetColumns.Target, ColumnType.String, ""),
        ]);
        var path = Generated.TempFile(".parquet");
        using (var w = TableWriter.Create(path, wrong))
        {
            w.Write(new TableBatch(wrong, new Dictionary<string, Array>
            {
                [DatasetColumns.Split] = new[] { "train" },
                [DatasetColumns.Tokens] = new[] { new[] { 1, 2 } },
                [DatasetColumns.Target] = new[] { "two" },
            }));
            w.Commit();
        }
        AssertOneLine(ReadFails(path), path, "column 'target'", "expected int32", "found string");
    }

    [Fact]
    public void Parquet_without_a_required_column_names_the_column()
    {
        var partial = new TableSchema("dataset", "", [new(DatasetColumns.Split, ColumnType.String, "")]);
        var path = Generated.TempFile(".parquet");
        using (var w = TableWriter.Create(path, partial))
        {
            w.Write(new TableBatch(partial, new Dictionary<string, Array> { [DatasetColumns.Split] = new[] { "train" } }));
            w.Commit();
        }
        AssertOneLine(ReadFails(path), path, "header", "'tokens'");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.97)]
    [InlineData(0.0)]
    public void Truncated_parquet_is_reported_as_a_damaged_file(double keep)
    {
        var task = DistanceTask.Info.Build(new Dictionary<string, int> { ["n-train"] = 300, ["n-test"] = 10 });
        var good = Generated.Write(task, ".parquet");
        var bytes = File.ReadAllBytes(good);
        var path = Generated.TempFile(".parquet");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        AssertOneLine(ReadFails(path), path, "Parquet");
    }

    /// <summary>A dataset whose tokens are list&lt;int64&gt; (as pandas may write), built with Parquet.Net directly.</summary>
    private static string Int64TokensParquet(long[][] rows)
    {
        var path = Generated.TempFile(".parquet");
        var item = new Parquet.Schema.DataField<long>("element");
        var split = new Parquet.Schema.DataField<string>(DatasetColumns.Split);
        var target = new Parquet.Schema.DataField<int>(DatasetColumns.Target);
        var schema = new Parquet.Schema.ParquetSchema(split, new Parquet.Schema.ListField(DatasetColumns.Tokens, item), target);
        using var file = File.Create(path);
        var writer = Parquet.ParquetWriter.CreateAsync(schema, file).GetAwaiter().GetResult();
        using (var rg = writer.CreateRowGroup())
        {
            rg.WriteAsync(split, rows.Select(_ => "train").ToArray(), null).GetAwaiter().GetResult();
            var values = rows.SelectMany(r => r).ToArray();
            var rep = rows.SelectMany(r => r.Select((_, i) => i == 0 ? 0 : 1)).ToArray();
            var def = Enumerable.Repeat(item.MaxDefinitionLevel, values.Length).ToArray();
            rg.WriteAllPartsAsync<long>(item, values, def, rep, default).GetAwaiter().GetResult();
            rg.WriteAsync<int>(target, rows.Select(r => r.Length).ToArray(), null, null, default).GetAwaiter().GetResult();
        }
        writer.DisposeAsync().AsTask().GetAwaiter().GetResult(); // writes the footer
        return path;
    }

    [Fact]
    public void Int64_token_lists_are_read_as_int32_when_they_fit()
    {
        var path = Int64TokensParquet([[1, 2, 3], [4], [5, 6]]);
        using var r = TableReader.Open(path, Dataset);
        Assert.Equal([[1, 2, 3], [4], [5, 6]], r.ReadAll().Int32List(DatasetColumns.Tokens));
    }

    [Fact]
    public void An_int64_token_too_big_for_int32_names_its_row()
    {
        var path = Int64TokensParquet([[1, 2], [3, 4_000_000_000L], [5]]);
        AssertOneLine(ReadFails(path), path, "row 2", "column 'tokens'", "fits in int32", "4000000000");
    }

    [Fact]
    public void A_missing_file_is_an_input_error()
    {
        var path = Generated.TempFile(".csv");
        AssertOneLine(ReadFails(path), path, "no such file");
    }
}
