using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace PeTools.EndToEnd.Tests;

/// <summary>The result of one shell command: exit code, stdout, stderr.</summary>
public sealed record Outcome(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// A scratch directory with the built tools on PATH (xsv's Workdir): each test runs real bash pipelines of the real
/// tools, as a user would. Tools run from their own build output (src/TOOL/bin/CONFIG/net10.0), found from the
/// repository root, through small wrapper scripts named like the installed tools.
/// </summary>
public sealed class Workdir : IDisposable
{
    private static readonly string[] Tools = ["pe-gen-task", "pe-spectrum", "pe-train", "pe-heads", "pe-report"];

    public Workdir([CallerMemberName] string name = "")
    {
        Dir = Path.Combine(Path.GetTempPath(), "pe-tools-e2e", $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..60]);
        Directory.CreateDirectory(Dir);
        BinDir = Path.Combine(Dir, ".bin");
        Directory.CreateDirectory(BinDir);
        foreach (var tool in Tools)
        {
            var dll = Path.Combine(RepoRoot, "src", tool, "bin", Configuration, "net10.0", tool + ".dll");
            if (!File.Exists(dll)) continue;
            var wrapper = Path.Combine(BinDir, tool);
            File.WriteAllText(wrapper, $"#!/usr/bin/env bash\nexec dotnet \"{dll}\" \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Dir { get; }
    public string BinDir { get; }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in (tools are built alike).</summary>
    public static string Configuration { get; } =
        Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar))!);

    public string PathOf(string relative) => Path.Combine(Dir, relative);

    public void Write(string relative, string text) => File.WriteAllText(PathOf(relative), text);

    /// <summary>Runs <paramref name="script"/> with bash -c (pipefail) in the workdir, tools on PATH.</summary>
    public Outcome Run(string script, int timeoutSeconds = 240)
    {
        var psi = new ProcessStartInfo("bash", ["-o", "pipefail", "-c", script])
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["PATH"] = BinDir + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("PE_TOOLS_DEBUG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"timed out after {timeoutSeconds}s: {script}");
        }
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts <paramref name="script"/> in the background (for kill tests); the caller owns the process.</summary>
    public Process Start(string script)
    {
        var psi = new ProcessStartInfo("bash", ["-c", "exec " + script])
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["PATH"] = BinDir + ":" + Environment.GetEnvironmentVariable("PATH");
        return Process.Start(psi)!;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "pe-tools.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("pe-tools.sln not found above the test assembly");
    }
}
