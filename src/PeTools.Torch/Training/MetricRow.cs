using PeTools.Core.Tables;
using M = PeTools.Core.Tables.Schemas.MetricsColumns;

namespace PeTools.Torch.Training;

/// <summary>One row of the metrics table (schema <see cref="Schemas.Metrics"/>).</summary>
public sealed record MetricRow(long Step, double Epoch, string Split, double Loss, double Accuracy, double Lr, double TokensPerSecond)
{
    public static TableBatch ToBatch(IReadOnlyList<MetricRow> rows) => new(Schemas.Metrics, new Dictionary<string, Array>
    {
        [M.Step] = rows.Select(r => r.Step).ToArray(),
        [M.Epoch] = rows.Select(r => r.Epoch).ToArray(),
        [M.Split] = rows.Select(r => r.Split).ToArray(),
        [M.Loss] = rows.Select(r => r.Loss).ToArray(),
        [M.Accuracy] = rows.Select(r => r.Accuracy).ToArray(),
        [M.Lr] = rows.Select(r => r.Lr).ToArray(),
        [M.TokensPerSecond] = rows.Select(r => r.TokensPerSecond).ToArray(),
    });

    public static void Write(string path, IReadOnlyList<MetricRow> rows, TableFormat? format = null,
        IReadOnlyDictionary<string, string>? metadata = null, Stream? stdout = null)
    {
        TableWriter.WriteTable(path, ToBatch(rows), format, metadata, stdout);
    }
}
