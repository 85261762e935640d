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
        var (code, output) = ExternalProcess.Run(Python, "-c \"import torch, numpy\"", TimeSpan.FromMinutes(1));
        return code == 0 ? null : $"{Python} cannot import torch and numpy ({output.Trim()}): PyTorch's side of the round trip is skipped";
    }
}
