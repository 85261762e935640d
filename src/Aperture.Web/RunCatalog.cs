using Aperture.Core;

namespace Aperture.Web;

/// <summary>A trained run the page offers: its folder, checkpoint and model card.</summary>
/// <param name="Id">The name the page uses for it: its folder relative to the runs folder it was found in, prefixed by that folder as given (by its name when the path is absolute).</param>
/// <param name="Folder">The run folder.</param>
/// <param name="Checkpoint">The checkpoint used (<c>best.ckpt</c>, else <c>last.ckpt</c>).</param>
/// <param name="Card">What the model is.</param>
/// <param name="Analyses">What the page can show with it.</param>
public sealed record ServedRun(string Id, string Folder, string Checkpoint, ModelCard Card, IReadOnlyList<Analysis> Analyses);

/// <summary>Finds the trained runs under the runs folders: every folder holding a checkpoint with a model card the page can use.</summary>
public sealed class RunCatalog(IReadOnlyList<string> roots)
{
    /// <summary>How deep below a runs folder runs are looked for (staged models keep theirs in <c>RUN/stages/NAME</c>).</summary>
    public const int MaxDepth = 4;

    /// <summary>The runs found now, by id; damaged checkpoints and models the page cannot use are left out.</summary>
    public IReadOnlyList<ServedRun> Scan()
    {
        var found = new List<ServedRun>();
        foreach (string root in roots.Where(Directory.Exists))
            Visit(root, root, 0, found);
        return found.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The run named <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">No such run (it was moved or deleted since the page was loaded).</exception>
    public ServedRun Find(string id) => Scan().FirstOrDefault(r => r.Id == id)
        ?? throw new ArgumentException($"no trained run '{id}' under {string.Join(", ", roots)}; reload the page to see the runs there now");

    private static void Visit(string root, string folder, int depth, List<ServedRun> found)
    {
        if (TryOpen(root, folder) is { } run) found.Add(run);
        if (depth >= MaxDepth) return;
        IEnumerable<string> children;
        try { children = Directory.EnumerateDirectories(folder).Where(d => Path.GetFileName(d) != "checkpoints").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (string child in children) Visit(root, child, depth + 1, found);
    }

    private static ServedRun? TryOpen(string root, string folder)
    {
        string path;
        try { path = RunFolder.Checkpoint(folder); }
        catch (FileNotFoundException) { return null; }
        try
        {
            var card = ModelCard.Read(path);
            var analyses = Analyses.For(card);
            if (analyses.Count == 0) return null;
            string relative = Path.GetRelativePath(root, folder).Replace('\\', '/');
            string prefix = (Path.IsPathRooted(root) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(root)) : root).Replace('\\', '/').TrimEnd('/');
            string id = relative == "." ? prefix : $"{prefix}/{relative}";
            return new ServedRun(id, folder, path, card, analyses);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
