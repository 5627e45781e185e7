using System.Diagnostics;
using System.Globalization;
using PeTools.Core.Tables;
using PeTools.Core.Tasks;

// Times the distance task end to end, as `pe-gen-task distance` runs it: draw, deduplicate, write Parquet.
// Usage: GenTaskBench ROWS OUT.parquet [REPEATS] [--no-write] [--uncompressed]. Three untimed 100,000-row passes
// warm up first: tiered JIT recompiles hot methods only after a few passes, and a single warm-up left that
// recompilation inside the first timed pass (0.33 s CPU instead of 0.08 s at 50,000 rows). The numpy peer warms up
// too. Then one line per timed repeat, and "best tokens/s" and "best tokens/cpu-s" lines.
var inv = CultureInfo.InvariantCulture;
int rows = int.Parse(args[0], inv);
string path = args[1];
int repeats = args.Length > 2 ? int.Parse(args[2], inv) : 3;
bool write = !args.Contains("--no-write");
bool compress = !args.Contains("--uncompressed");

// The reference's 70/30 split of `rows` sequences; paper defaults for everything else.
int nTest = rows * 3 / 10;
var values = new Dictionary<string, int> { [CommonParameters.NTrain] = rows - nTest, [CommonParameters.NTest] = nTest };
double best = 0, bestCpu = 0;
for (int w = 0; w < 3; w++)
{
    var warmup = DistanceTask.Info.Build(
        new Dictionary<string, int> { [CommonParameters.NTrain] = 70_000, [CommonParameters.NTest] = 30_000 }, seed: 99 + w);
    using var writer = TableWriter.Create(path, Schemas.Dataset, metadata: warmup.Metadata(), compress: compress);
    foreach (var batch in DatasetGenerator.Generate(warmup)) writer.Write(batch);
    writer.Commit();
}
for (int r = 0; r < repeats; r++)
{
    var task = DistanceTask.Info.Build(values, seed: r);
    long tokens = 0;
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var pauseBefore = GC.GetTotalPauseDuration();
    var clock = Stopwatch.StartNew();
    using (var writer = write ? TableWriter.Create(path, Schemas.Dataset, metadata: task.Metadata(), compress: compress) : null)
    {
        foreach (var batch in DatasetGenerator.Generate(task))
        {
            foreach (var row in batch.Int32List(Schemas.DatasetColumns.Tokens)) tokens += row.Length;
            writer?.Write(batch);
        }
        writer?.Commit();
    }
    double seconds = clock.Elapsed.TotalSeconds;
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    double pauses = (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds;
    best = Math.Max(best, tokens / seconds);
    bestCpu = Math.Max(bestCpu, tokens / cpu);
    Console.WriteLine(string.Create(inv, $"repeat {r}: {task.TotalRows} rows, {tokens} tokens, {seconds:F3} s, {tokens / seconds:F0} tokens/s, " +
        $"CPU {cpu:F2} s, GC pauses {pauses:F2} s (gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)})"));
}
Console.WriteLine(string.Create(inv, $"best tokens/s {best:F0}"));
Console.WriteLine(string.Create(inv, $"best tokens/cpu-s {bestCpu:F0}"));
