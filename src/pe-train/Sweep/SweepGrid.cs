using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using PeTools.Torch.Positional;
using PeTools.Train.Commands;
using C = PeTools.Core.Tables.Schemas.GridColumns;

namespace PeTools.Train.Sweep;

/// <summary>One validated grid row: a pe-train run. <see cref="DataPath"/> is the resolved, absolute dataset path.</summary>
internal sealed record SweepRow(int Row, string Name, string Pe, string Data, string DataPath, long Seed, IReadOnlyList<string> Args)
{
    /// <summary>The arguments of the child pe-train that trains this row into <paramref name="dir"/>.</summary>
    public IReadOnlyList<string> TrainArgs(string dir, bool cuda, bool resume) =>
    [
        "--data", DataPath, "--pe", Pe, "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--out", dir, .. Args, .. cuda ? ["--device", "cuda"] : Array.Empty<string>(), .. resume ? ["--resume"] : Array.Empty<string>(),
    ];
}

/// <summary>
/// Reads a sweep grid and validates every row before anything runs: the PE key, the data file, the extra options
/// (parsed and bound exactly as pe-train would) and the uniqueness of run names. Any problem is one InputError.
/// </summary>
internal static partial class SweepGrid
{
    /// <summary>Options the sweep sets itself; a grid's args may not repeat them.</summary>
    public static readonly IReadOnlySet<string> Reserved =
        new HashSet<string> { "--data", "-d", "--out", "--pe", "--seed", "--resume", "--metrics", "--device" };

    public static IReadOnlyList<SweepRow> Load(string gridPath, string? dataDir, TableFormat? format = null, Stream? stdin = null)
    {
        TableBatch batch;
        using (var reader = TableReader.Open(gridPath, Schemas.Grid, format, stdin)) batch = reader.ReadAll();
        var file = gridPath == TableFormats.StdStream ? "<stdin>" : gridPath;
        var rows = new List<SweepRow>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < batch.RowCount; i++)
        {
            int r = i + 1;
            string pe = batch.String(C.Pe)[i].Trim(), data = batch.String(C.Data)[i].Trim();
            long seed = batch.Int64(C.Seed)[i];
            string argsText = batch.Has(C.Args) ? batch.String(C.Args)[i] : "";
            string given = batch.Has(C.Name) ? batch.String(C.Name)[i].Trim() : "";

            if (!PositionalEncodings.Keys.Contains(pe))
                throw InputError.AtRow(file, r, C.Pe, $"one of {string.Join(", ", PositionalEncodings.Keys)}", $"'{pe}'");
            var dataPath = ResolveData(data, dataDir);
            if (!File.Exists(dataPath))
                throw InputError.AtRow(file, r, C.Data, "an existing dataset file", $"no such file {dataPath}");
            var args = Tokenize(argsText);
            CheckArgs(file, r, args);
            var name = given.Length > 0 ? given : RunName(data, pe, seed, args);
            if (!SafeName().IsMatch(name))
                throw InputError.AtRow(file, r, C.Name, "a run name of letters, digits, '.', '_' and '-'", $"'{name}'");
            if (seen.TryGetValue(name, out var first))
                throw InputError.AtRow(file, r, C.Name, "a run name unique in the grid", $"'{name}', as in row {first}");
            seen[name] = r;
            rows.Add(new SweepRow(r, name, pe, data, dataPath, seed, args));
        }
        if (rows.Count == 0) throw new InputError(file, "rows", "at least one run", "no rows");
        return rows;
    }

    /// <summary>
    /// The run name of a row: <c>{task}-{pe}-s{seed}</c>, where task is the data file's stem, plus
    /// <c>-{6 hex digits of SHA-256 of the args}</c> when there are args. Same row, same name, on every machine.
    /// </summary>
    public static string RunName(string data, string pe, long seed, IReadOnlyList<string> args)
    {
        var name = $"{Path.GetFileNameWithoutExtension(data)}-{pe}-s{seed}";
        if (args.Count == 0) return name;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', args)));
        return $"{name}-{Convert.ToHexStringLower(hash)[..6]}";
    }

    /// <summary>A bare name (no folder, no extension) with --data-dir is DIR/NAME.parquet; anything else is a path.</summary>
    public static string ResolveData(string data, string? dataDir)
    {
        bool bare = !data.Contains('/') && Path.GetExtension(data).Length == 0;
        return Path.GetFullPath(dataDir is not null && bare ? Path.Combine(dataDir, data + ".parquet") : data);
    }

    /// <summary>Splits an args cell on whitespace; double quotes group words ("a b" is one token).</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, any = false;
        foreach (var ch in text)
        {
            if (ch == '"') { quoted = !quoted; any = true; }
            else if (char.IsWhiteSpace(ch) && !quoted)
            {
                if (any) tokens.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else { current.Append(ch); any = true; }
        }
        if (any) tokens.Add(current.ToString());
        return tokens;
    }

    /// <summary>Parses and binds the args as pe-train options, so a typo fails here and not an hour into the sweep.</summary>
    private static void CheckArgs(string file, int row, IReadOnlyList<string> args)
    {
        foreach (var a in args)
            if (Reserved.Contains(a.Split('=')[0]))
                throw InputError.AtRow(file, row, C.Args, "pe-train options other than " + string.Join(" ", Reserved), $"'{a}'");
        var o = new TrainOptions();
        var command = new RootCommand();
        foreach (var option in o.All) command.Add(option);
        var parse = command.Parse(["--data", "x", "--out", "x", .. args]);
        if (parse.Errors.Count > 0)
            throw InputError.AtRow(file, row, C.Args, "pe-train options", parse.Errors[0].Message.TrimEnd('.'));
        try
        {
            o.Model(parse).Validate();
            o.Train(parse);
        }
        catch (PeToolsError e)
        {
            throw InputError.AtRow(file, row, C.Args, "valid pe-train options", e.Message);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex SafeName();
}
