using System.Security.Cryptography;
using System.Text;

namespace Aperture.Core;

/// <summary>
/// The inputs of a batch verb as one sorted list: image files given as arguments, the images inside folders given as
/// arguments (recursively), and the lines of a <c>--list</c> file; de-duplicated and sorted by ordinal path, so that
/// every process given the same arguments sees the same order and a <see cref="Shard"/> is the same set everywhere.
/// Paths are kept as written (a relative path stays relative), since they are what the results record.
/// </summary>
public static class ImageManifest
{
    /// <summary>The extensions a folder is searched for: PNG and JPEG.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg"];

    /// <summary>Builds the sorted manifest.</summary>
    /// <param name="arguments">Files or folders.</param>
    /// <param name="listFile">A text file naming one input per line (blank lines and lines starting with <c>#</c> are skipped), or null.</param>
    /// <param name="extensions">What a folder is searched for (lower case, with the dot; default <see cref="ImageExtensions"/>).</param>
    /// <param name="skipFolder">A folder whose files are not taken from a folder argument that contains it (the output
    /// folder, so that a shard started late does not see the PNGs an earlier shard wrote there), or null.</param>
    /// <returns>The inputs, sorted by ordinal path, each once.</returns>
    /// <exception cref="ArgumentException">A path that is neither a file nor a folder, or no input at all.</exception>
    /// <exception cref="FileNotFoundException">The list file does not exist.</exception>
    public static IReadOnlyList<string> Build(IEnumerable<string>? arguments, string? listFile, IReadOnlyList<string>? extensions = null,
        string? skipFolder = null)
    {
        extensions ??= ImageExtensions;
        string? skip = skipFolder is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(skipFolder)) + Path.DirectorySeparatorChar;
        var found = new List<string>();
        foreach (string a in arguments ?? []) Add(a, found, extensions, null, skip);
        if (listFile is not null)
        {
            if (!File.Exists(listFile)) throw new FileNotFoundException($"--list {listFile}: no such file", listFile);
            foreach (string raw in File.ReadLines(listFile))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                Add(line, found, extensions, listFile, skip);
            }
        }
        var sorted = found.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
            throw new ArgumentException("no images to process: give image files, folders of images, or --list FILE (one path per line)");
        return sorted;
    }

    /// <summary>SHA-256 (hex) of the manifest, one path per line: shards of one batch carry the same value.</summary>
    public static string Sha256(IReadOnlyList<string> manifest) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', manifest))));

    /// <summary>True when <paramref name="file"/> lies in <paramref name="skip"/> and that folder lies strictly inside the searched <paramref name="folder"/>.</summary>
    private static bool Beneath(string file, string? skip, string folder)
    {
        if (skip is null) return false;
        string searched = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return skip.Length > searched.Length && skip.StartsWith(searched, StringComparison.Ordinal) && Path.GetFullPath(file).StartsWith(skip, StringComparison.Ordinal);
    }

    private static void Add(string path, List<string> found, IReadOnlyList<string> extensions, string? listFile, string? skip)
    {
        if (File.Exists(path))
        {
            found.Add(path);
            return;
        }
        if (Directory.Exists(path))
        {
            found.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .Where(f => !Beneath(f, skip, path)));
            return;
        }
        throw new ArgumentException(listFile is null ? $"{path}: no such file or folder" : $"{path} (listed in {listFile}): no such file or folder");
    }
}
