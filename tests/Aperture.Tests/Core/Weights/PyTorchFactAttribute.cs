using System.Diagnostics;

namespace Aperture.Tests.Core.Weights;

/// <summary>
/// A fact that runs PyTorch (<c>/usr/bin/python3</c> with <c>torch</c>, or <c>APERTURE_PYTHON</c>); skipped, saying so,
/// where there is none (CI need not have PyTorch: the committed fixtures cover PyTorch-to-Aperture without it).
/// </summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>The Python interpreter to run.</summary>
    public static string Python => Environment.GetEnvironmentVariable("APERTURE_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    public PyTorchFactAttribute()
    {
        if (Missing.Value is { } why) Skip = why;
    }

    private static string? Probe()
    {
        if (!File.Exists(Python)) return $"{Python} does not exist: PyTorch's side of the round trip needs Python 3 with torch (set APERTURE_PYTHON)";
        var (code, output) = Run(Python, "-c \"import torch, numpy\"", TimeSpan.FromMinutes(1));
        return code == 0 ? null : $"{Python} cannot import torch and numpy ({output.Trim()}): PyTorch's side of the round trip is skipped";
    }

    /// <summary>Runs a program; returns its exit code and its stdout and stderr together.</summary>
    public static (int Code, string Output) Run(string file, string arguments, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
