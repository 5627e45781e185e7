using System.Text.Json;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;
using static PeTools.Core.Tables.Schemas;

namespace PeTools.Core.Tests.Tasks;

/// <summary>Test helpers: a generated dataset as plain rows, and as the bytes of a written file.</summary>
internal static class Generated
{
    public sealed record Row(string Split, int[] Tokens, int Target);

    public static List<Row> Rows(SyntheticTask task, int? chunksAhead = null) =>
        DatasetGenerator.Generate(task, chunksAhead: chunksAhead).SelectMany(RowsOf).ToList();

    public static IEnumerable<Row> RowsOf(TableBatch b) =>
        Enumerable.Range(0, b.RowCount).Select(i => new Row(
            b.String(DatasetColumns.Split)[i], b.Int32List(DatasetColumns.Tokens)[i], b.Int32(DatasetColumns.Target)[i]));

    /// <summary>Writes the task's dataset to a fresh temporary file with the given extension; returns its path.</summary>
    public static string Write(SyntheticTask task, string extension)
    {
        var path = TempFile(extension);
        using var writer = TableWriter.Create(path, Dataset, metadata: task.Metadata());
        foreach (var batch in DatasetGenerator.Generate(task)) writer.Write(batch);
        writer.Commit();
        return path;
    }

    public static string TempFile(string extension)
    {
        var dir = Path.Combine(Path.GetTempPath(), "pe-tools-core-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"{Guid.NewGuid():N}{extension}");
    }

    public static JsonElement Params(SyntheticTask task) =>
        JsonDocument.Parse(task.Metadata()[SyntheticTask.ParamsKey]).RootElement;

    public static int[] Triggers(SyntheticTask task) =>
        JsonSerializer.Deserialize<int[]>(task.Metadata()[SyntheticTask.TriggersKey])!;
}
