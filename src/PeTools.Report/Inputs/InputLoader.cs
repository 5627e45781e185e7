using Microsoft.Extensions.FileSystemGlobbing;
using Microsoft.Extensions.FileSystemGlobbing.Abstractions;
using PeTools.Core.Errors;
using PeTools.Core.Logging;
using PeTools.Core.Tables;

namespace PeTools.Report.Inputs;

/// <summary>
/// Turns pe-report's arguments into tables: a file (its kind must be one pe-tools knows), <c>-</c> (stdin, once), a
/// folder (every .csv/.parquet under it) or a glob the shell did not expand (<c>*</c> within a name, <c>**</c> across
/// folders). Files found through a folder or a glob that are not tables pe-report reads are skipped with a note; a
/// file named on its own must be one. Every table is read in full and checked before anything is written.
/// </summary>
public sealed class InputLoader(IRunLog log, Stream? stdin = null, TableFormat? stdinFormat = null)
{
    private static readonly TableSchema AnyTable = new("any", "", []);
    private static readonly string[] TableExtensions = [".csv", ".parquet"];
    private readonly RunResolver _runs = new();
    private MemoryStream? _stdin;

    public InputSet Load(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0) throw new UsageError("no input tables: give files, folders, globs or - (see pe-report --help)");
        var tables = new List<LoadedTable>();
        var skipped = new List<SkippedInput>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, named) in arguments.SelectMany(Expand))
        {
            if (path != TableFormats.StdStream && !seen.Add(Path.GetFullPath(path))) continue;
            var table = Read(path, named, out var reason);
            if (table is not null) tables.Add(table);
            else skipped.Add(new SkippedInput(path, reason!));
        }
        CheckOnePerRun(tables);
        foreach (var s in skipped) log.Info($"skipped {s.Path}: {s.Reason}");
        return new InputSet(tables, skipped);
    }

    /// <summary>The files an argument stands for, each with whether it was named on its own.</summary>
    private IEnumerable<(string Path, bool Named)> Expand(string argument)
    {
        if (argument == TableFormats.StdStream) return [(argument, true)];
        if (argument.Contains('*')) return Glob(argument).Select(p => (p, false));
        if (Directory.Exists(argument))
            return Directory.EnumerateFiles(argument, "*", SearchOption.AllDirectories)
                .Where(f => TableExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase) && !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal).Select(p => (p, false));
        return [(argument, true)];
    }

    private static List<string> Glob(string pattern)
    {
        var parts = pattern.Split('/');
        int wild = Array.FindIndex(parts, p => p.Contains('*'));
        var root = string.Join('/', parts[..wild]);
        if (wild == 1 && parts[0].Length == 0) root = "/";
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(string.Join('/', parts[wild..]));
        var dir = new DirectoryInfo(root.Length == 0 ? "." : root);
        var files = dir.Exists
            ? matcher.Execute(new DirectoryInfoWrapper(dir)).Files.Select(f => root.Length == 0 ? f.Path : Path.Join(root, f.Path))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        return files.Count > 0 ? files : throw new InputError(pattern, "glob", "at least one matching file", "none");
    }

    private LoadedTable? Read(string path, bool named, out string? reason)
    {
        reason = null;
        IReadOnlyList<string> columns;
        IReadOnlyDictionary<string, string> metadata;
        using (var peek = Open(path, AnyTable))
        {
            columns = peek.FileColumns;
            metadata = peek.Metadata;
        }
        var display = path == TableFormats.StdStream ? "<stdin>" : path;
        var schema = ReportKinds.Recognise(columns, metadata);
        if (schema is null || !ReportKinds.IsRead(schema))
        {
            var what = schema is null ? "columns " + string.Join(",", columns) : $"a {schema.Kind} table";
            if (named)
                throw new InputError(display, "header", $"a table pe-report reads ({string.Join(", ", ReportKinds.Read.Select(s => s.Kind))})", what);
            reason = schema is null ? "not a pe-tools table" : $"{schema.Kind} tables are not reported";
            return null;
        }

        TableBatch rows;
        using (var reader = Open(path, schema)) rows = reader.ReadAll();
        RunInfo? run = null;
        if (ReportKinds.IsPerRun(schema))
            run = _runs.Resolve(path, metadata) ?? throw new InputError(display, "run",
                $"{RunResolver.RunConfigKey} metadata, a {RunResolver.ConfigFile} beside it, or a name TASK-PE-sSEED (which run is this {schema.Kind} table?)",
                "none of these");
        return new LoadedTable(display, schema, rows, run);
    }

    private TableReader Open(string path, TableSchema schema)
    {
        if (path != TableFormats.StdStream) return TableReader.Open(path, schema);
        if (_stdin is null)
        {
            _stdin = new MemoryStream();
            (stdin ?? throw new InvalidOperationException("- needs the stdin stream")).CopyTo(_stdin);
        }
        _stdin.Position = 0;
        return TableReader.Open(path, schema, stdinFormat, new NonClosingStream(_stdin));
    }

    /// <summary>Metrics, positional-vector, dynamics and probe tables: one per run (head-ablation tables merge: splits, modes).</summary>
    private static void CheckOnePerRun(IReadOnlyList<LoadedTable> tables)
    {
        var first = new Dictionary<(string Kind, string Run), string>();
        foreach (var t in tables.Where(t => t.Run is not null && t.Kind != Schemas.Ablation.Kind))
            if (!first.TryAdd((t.Kind, t.Run!.Name), t.Path))
                throw new InputError(t.Path, "run", $"one {t.Kind} table per run",
                    $"a second one for {t.Run.Name} (the first is {first[(t.Kind, t.Run.Name)]})");
    }

    /// <summary>Lets stdin's buffer be opened twice (peek, then read) although readers dispose their stream.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
