using System.Text;
using PeTools.Core.Errors;
using PeTools.Core.Tables;
using C = PeTools.Core.Tables.Schemas.GridColumns;

namespace PeTools.Train.Sweep;

/// <summary>
/// <c>pe-train sweep --emit slurm</c>: an sbatch job-array script for a grid, one row per array index, plus a sidecar
/// copy of the grid (resolved names and absolute data paths) beside it. Each task runs <c>pe-train ... --resume</c>,
/// so a requeued or re-submitted array continues from checkpoints and skips runs that are complete.
/// </summary>
internal static class SlurmScript
{
    /// <summary>The sidecar grid of <paramref name="scriptPath"/>: job.sbatch → job.grid.csv.</summary>
    public static string SidecarOf(string scriptPath) => Path.ChangeExtension(Path.GetFullPath(scriptPath), ".grid.csv");

    public static void Write(string gridFile, string scriptPath, IReadOnlyList<SweepRow> rows, string outRoot, IReadOnlyList<string> peTrain)
    {
        foreach (var r in rows)
            foreach (var (column, cell) in new[] { (C.Data, r.DataPath), (C.Args, string.Join(' ', r.Args)) })
                if (cell.Contains('"') || (column != C.Args && cell.Contains(',')))
                    throw InputError.AtRow(gridFile, r.Row, column, "no double quotes (nor commas outside args) for --emit slurm", $"'{cell}'");

        var sidecar = SidecarOf(scriptPath);
        using (var w = TableWriter.Create(sidecar, Schemas.Grid))
        {
            var b = new TableBatchBuilder(Schemas.Grid);
            foreach (var r in rows)
                b.Add((C.Name, r.Name), (C.Pe, r.Pe), (C.Data, r.DataPath), (C.Seed, r.Seed), (C.Args, string.Join(' ', r.Args)));
            w.Write(b.Build());
            w.Commit();
        }

        using var f = new AtomicFile(scriptPath);
        f.Stream.Write(Encoding.UTF8.GetBytes(Text(rows.Count, sidecar, Path.GetFullPath(outRoot), peTrain)));
        f.Commit();
        File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                         UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    public static string Text(int count, string sidecar, string outRoot, IReadOnlyList<string> peTrain) =>
        $$"""
        #!/usr/bin/env bash
        # pe-train sweep as a Slurm job array: {{count}} runs, one grid row per array index (made by pe-train sweep --emit slurm).
        # Submit with `sbatch THIS`; re-submitting continues unfinished runs (--resume) and skips complete ones.
        #SBATCH --job-name=pe-sweep
        #SBATCH --array=0-{{count - 1}}
        #SBATCH --gres=gpu:1
        #SBATCH --output={{outRoot}}/slurm-%A_%a.out
        set -euo pipefail
        grid={{Quote(sidecar)}}
        out_root={{Quote(outRoot)}}
        pe_train=({{string.Join(' ', peTrain.Select(Quote))}})
        line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 2))p" "$grid")
        IFS=, read -r name pe data seed args <<<"$line"
        args=${args#\"}
        args=${args%\"}
        read -r -a extra <<<"$args"
        dir=$out_root/$name
        if [[ -f $dir/model.safetensors ]]; then
          echo "$name: complete, skipped" >&2
          exit 0
        fi
        mkdir -p "$dir"
        "${pe_train[@]}" --data "$data" --pe "$pe" --seed "$seed" --out "$dir" "${extra[@]}" --device cuda --resume \
          2>>"$dir/{{SweepRunner.LogFile}}"

        """;

    /// <summary>Single-quotes a word for bash.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";
}
