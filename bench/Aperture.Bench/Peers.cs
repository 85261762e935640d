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

    /// <summary>Runs a peer script and parses the JSON object it prints; returns a string saying why not when it cannot run.</summary>
    public static object RunPython(string script, params string[] args)
    {
        string? folder = Folder();
        if (folder is null) return "skipped: bench/peers not found";
        if (!File.Exists(Python)) return $"skipped: {Python} not found (install Debian's python3-torch etc.)";
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(folder, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            string last = stderr.Trim().Split('\n').LastOrDefault() ?? "";
            return $"skipped: {script} failed ({last})";
        }
        string line = stdout.Trim().Split('\n').Last();
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
