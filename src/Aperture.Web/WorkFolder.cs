using System.Text.RegularExpressions;
using Aperture.Core;

namespace Aperture.Web;

/// <summary>
/// The server's temporary working folder, made under <c>--out</c> and deleted when the server stops: examples, and one
/// folder per request holding the image and its results. Every file the server writes or serves is resolved inside it.
/// </summary>
public sealed partial class WorkFolder : IDisposable
{
    /// <summary>Request folders kept; older ones are deleted as new ones are made.</summary>
    public const int KeptRequests = 64;

    private readonly object _gate = new();

    /// <summary>Makes a fresh working folder <c>OUT/serve-PID-RANDOM</c>.</summary>
    /// <exception cref="OutputNotWritableException"><paramref name="parent"/> cannot be written.</exception>
    public WorkFolder(string parent)
    {
        Root = Path.GetFullPath(Path.Combine(parent, $"serve-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32]));
        OutputFolder.Create(Root);
        Examples = OutputFolder.Create(Path.Combine(Root, "examples"));
    }

    /// <summary>The working folder (absolute).</summary>
    public string Root { get; }

    /// <summary>Where the example images are.</summary>
    public string Examples { get; }

    /// <summary>Makes a new request folder; returns its id (32 hex digits) and path.</summary>
    public (string Id, string Folder) NewRequest()
    {
        string id = Guid.NewGuid().ToString("N");
        string folder = OutputFolder.Create(Path.Combine(Root, "requests", id));
        lock (_gate) Prune();
        return (id, folder);
    }

    /// <summary>The file <paramref name="name"/> of request <paramref name="id"/>, or null when the names are not well formed or it does not exist.</summary>
    public string? RequestFile(string id, string name) =>
        RequestId().IsMatch(id) ? Inside(Path.Combine(Root, "requests", id), name) : null;

    /// <summary>The example image <paramref name="name"/>, or null when there is none.</summary>
    public string? ExampleFile(string name) => Inside(Examples, name);

    private static string? Inside(string folder, string name)
    {
        if (!FileName().IsMatch(name)) return null;
        string path = Path.GetFullPath(Path.Combine(folder, name));
        return Path.GetDirectoryName(path) == Path.GetFullPath(folder) && File.Exists(path) ? path : null;
    }

    private void Prune()
    {
        var old = new DirectoryInfo(Path.Combine(Root, "requests")).GetDirectories().OrderByDescending(d => d.CreationTimeUtc).Skip(KeptRequests);
        foreach (var d in old) Delete(d.FullName);
    }

    /// <summary>Deletes a folder of the working folder (a failed request's), ignoring one that cannot be deleted.</summary>
    public static void Delete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Deletes the working folder.</summary>
    public void Dispose() => Delete(Root);

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex RequestId();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex FileName();
}
