using System.Diagnostics;

namespace Aperture.Tests;

/// <summary>Runs other programs from tests (PyTorch peers, dotnet pack, an installed tool) and finds the repository.</summary>
internal static class ExternalProcess
{
    /// <summary>The repository's root folder (the one holding Aperture.sln), above the test binaries.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Aperture.sln"))) return d.FullName;
            throw new InvalidOperationException($"no Aperture.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Runs a program and waits (killing it after <paramref name="timeout"/>); returns its exit code and its stdout and stderr together.</summary>
    public static (int Code, string Output) Run(string file, string arguments, TimeSpan timeout, string? workingDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} {arguments}: timed out after {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
