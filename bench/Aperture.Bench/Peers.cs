using System.Diagnostics;
using System.Text.Json;

namespace Aperture.Bench;

/// <summary>Runs the peer scripts in <c>bench/peers/</c> with Debian's Python, when it has the modules they need.</summary>
internal static class Peers
{
    private const string Python = "/usr/bin/python3";

    /// <summary>The folder holding the peer scripts (found upwards from the working directory or the binary).</summary>
    public static string? Folder()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string p = Path.Combine(d.FullName, "bench", "peers");
                if (Directory.Exists(p)) return p;
            }
        }
        return null;
    }

    /// <summary>Whether Debian's Python is there to run the peers.</summary>
    public static bool Available => File.Exists(Python);

    /// <summary>Runs a peer script and parses the JSON object it prints last; null when it cannot run.</summary>
    public static JsonElement? Run(string script, IEnumerable<string> args) => Run(script, args, out _);

    /// <summary>Runs a peer script; the parsed JSON, or a string saying why it was skipped.</summary>
    public static object RunPython(string script, params string[] args) => Run(script, args, out string? why) is { } e ? e : why!;

    private static JsonElement? Run(string script, IEnumerable<string> args, out string? skipped)
    {
        string? folder = Folder();
        skipped = folder is null ? "skipped: bench/peers not found"
            : !File.Exists(Python) ? $"skipped: {Python} not found (install Debian's python3-torch, python3-skimage, python3-opencv, python3-torchvision)"
            : null;
        if (skipped is not null) return null;
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(folder!, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = stderrTask.Result;
        p.WaitForExit();
        if (p.ExitCode != 0 || string.IsNullOrWhiteSpace(stdout))
        {
            skipped = $"skipped: {script} failed ({stderr.Trim().Split('\n').LastOrDefault()})";
            return null;
        }
        return JsonDocument.Parse(stdout.Trim().Split('\n').Last()).RootElement.Clone();
    }
}
