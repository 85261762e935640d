using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Aperture.Core;
using Aperture.Data.Sample;
using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// Finds an IDX dataset and loads one split of it. The places, in order:
/// an explicit directory (an error if it lacks the files), the folder named by <c>APERTURE_DATA</c>,
/// the system folder (Debian's <c>/usr/share/datasets</c>), the user cache
/// (<c>$XDG_CACHE_HOME/aperture</c> or <c>~/.cache/aperture</c>), a download from the official
/// mirror into that cache (checked against known digests; skipped when <c>APERTURE_OFFLINE=1</c>),
/// and last the sample shipped inside Aperture.dll.
/// </summary>
internal sealed class DatasetLocator
{
    /// <summary>Environment variable naming a data root (holding e.g. <c>fashion-mnist/</c>) or a dataset folder.</summary>
    public const string DataVariable = "APERTURE_DATA";

    /// <summary>Environment variable that, set to 1, forbids downloads.</summary>
    public const string OfflineVariable = "APERTURE_OFFLINE";

    /// <summary>Value of <see cref="DataVariable"/>, or null.</summary>
    public string? EnvironmentRoot { get; init; }

    /// <summary>Root of system-installed datasets, e.g. <c>/usr/share/datasets</c>, or null.</summary>
    public string? SystemRoot { get; init; }

    /// <summary>Root of the user cache, e.g. <c>~/.cache/aperture</c>.</summary>
    public required string CacheRoot { get; init; }

    /// <summary>Whether a download may be tried.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Replaces the dataset's mirror address (tests use a local server).</summary>
    public string? MirrorOverride { get; init; }

    /// <summary>Time allowed to connect and receive the response headers; no network fails within it.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Time allowed for a whole file to arrive.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The locator configured from this process's environment.</summary>
    public static DatasetLocator FromEnvironment()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cacheBase = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        string? env = Environment.GetEnvironmentVariable(DataVariable);
        return new DatasetLocator
        {
            EnvironmentRoot = string.IsNullOrWhiteSpace(env) ? null : env,
            SystemRoot = "/usr/share/datasets",
            CacheRoot = Path.Combine(cacheBase, "aperture"),
            AllowDownload = Environment.GetEnvironmentVariable(OfflineVariable) is not ("1" or "true"),
        };
    }

    /// <summary>Loads one split of <paramref name="spec"/>, searching as described on the class.</summary>
    /// <param name="spec">The dataset.</param>
    /// <param name="split">Train or test.</param>
    /// <param name="dataDir">An explicit folder (the dataset folder or a root holding it); must contain the files.</param>
    /// <exception cref="DirectoryNotFoundException">The explicit folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The explicit folder lacks the files, or (no sample shipped) nothing was found.</exception>
    /// <exception cref="InvalidDataException">A file that was found is not valid IDX or the two files disagree.</exception>
    public LabeledImages Load(IdxDatasetSpec spec, DatasetSplit split, string? dataDir)
    {
        var (imagesName, labelsName) = IdxDatasetSpec.FileNames(split);
        if (dataDir is not null)
        {
            if (!Directory.Exists(dataDir))
                throw new DirectoryNotFoundException($"{dataDir}: the data directory does not exist (looking for {spec.Name} {split.ToString().ToLowerInvariant()} files)");
            foreach (string dir in new[] { dataDir, Path.Combine(dataDir, spec.FolderName) })
                if (FindPair(dir, imagesName, labelsName) is { } found)
                    return LoadPair(spec, found.Images, found.Labels, $"{Path.GetFullPath(dir)} (--data)");
            throw new FileNotFoundException(
                $"{dataDir}: no {spec.Name} {split.ToString().ToLowerInvariant()} files: expected {imagesName}[.gz] and {labelsName}[.gz] in it or in its {spec.FolderName}/ subfolder");
        }

        var searched = new List<string>();
        if (EnvironmentRoot is not null)
        {
            foreach (string dir in new[] { Path.Combine(EnvironmentRoot, spec.FolderName), EnvironmentRoot })
            {
                searched.Add(dir);
                if (FindPair(dir, imagesName, labelsName) is { } found)
                    return LoadPair(spec, found.Images, found.Labels, $"{Path.GetFullPath(dir)} ({DataVariable})");
            }
        }
        if (SystemRoot is not null)
        {
            string dir = Path.Combine(SystemRoot, spec.FolderName);
            searched.Add(dir);
            if (FindPair(dir, imagesName, labelsName) is { } found)
                return LoadPair(spec, found.Images, found.Labels, $"{dir} (system dataset folder)");
        }
        string cacheDir = Path.Combine(CacheRoot, spec.FolderName);
        searched.Add(cacheDir);
        if (FindPair(cacheDir, imagesName, labelsName) is { } cached)
            return LoadPair(spec, cached.Images, cached.Labels, $"{cacheDir} (cache)");

        string why;
        string? mirror = MirrorOverride ?? spec.MirrorUrl;
        if (!AllowDownload) why = $"downloads are off ({OfflineVariable}=1)";
        else if (mirror is null) why = "no download mirror is known";
        else
        {
            try
            {
                Download(spec, mirror, cacheDir, imagesName, labelsName);
                var got = FindPair(cacheDir, imagesName, labelsName)!.Value;
                return LoadPair(spec, got.Images, got.Labels, $"{cacheDir} (downloaded from {mirror})");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                why = $"the download from {mirror} failed: {e.Message}";
            }
        }

        string notFound = $"{spec.Name} was not found in {string.Join(", ", searched)}; {why}";
        if (spec.SampleResourcePrefix is null)
            throw new FileNotFoundException($"{notFound}. Pass the folder with --data DIR or set {DataVariable}.");
        return ShippedSample.Load(spec, split, $"repository sample ({notFound}; pass --data DIR or set {DataVariable} for the full set)");
    }

    /// <summary>The images and labels files of a split in <paramref name="dir"/>, compressed or not, or null if either is missing.</summary>
    internal static (string Images, string Labels)? FindPair(string dir, string imagesName, string labelsName)
    {
        if (!Directory.Exists(dir)) return null;
        string? images = FindFile(dir, imagesName), labels = FindFile(dir, labelsName);
        return images is not null && labels is not null ? (images, labels) : null;
    }

    private static string? FindFile(string dir, string baseName)
    {
        // As published ("train-images-idx3-ubyte.gz"), decompressed, or with the dotted spelling some copies use.
        string dotted = baseName.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (string name in new[] { baseName + ".gz", baseName, dotted + ".gz", dotted })
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static LabeledImages LoadPair(IdxDatasetSpec spec, string imagesPath, string labelsPath, string source)
    {
        using var scope = NewDisposeScope();
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        var (x, y) = Assemble(images, imagesPath, labels, labelsPath, spec.ClassNames.Count);
        return new LabeledImages(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), spec.ClassNames, source);
    }

    /// <summary>
    /// Checks that an images tensor <c>[N, H, W]</c> (uint8) and a labels tensor <c>[N]</c> (uint8) belong
    /// together and returns images <c>[N, 1, H, W]</c> uint8 and labels <c>[N]</c> int64.
    /// </summary>
    internal static (Tensor Images, Tensor Labels) Assemble(Tensor images, string imagesName, Tensor labels, string labelsName, int classCount)
    {
        if (images.dim() != 3)
            throw new InvalidDataException($"{imagesName}: an image file must have 3 dimensions [N, H, W], this one has [{string.Join(", ", images.shape)}]");
        if (labels.dim() != 1)
            throw new InvalidDataException($"{labelsName}: a label file must have 1 dimension [N], this one has [{string.Join(", ", labels.shape)}]");
        if (images.shape[0] != labels.shape[0])
            throw new InvalidDataException($"{labelsName}: holds {labels.shape[0]} labels but {imagesName} holds {images.shape[0]} images; they must match");
        int max = labels.max().item<byte>();
        if (max >= classCount)
            throw new InvalidDataException($"{labelsName}: label {max} is out of range; this dataset has {classCount} classes (0 to {classCount - 1})");
        return (images.unsqueeze(1), labels.to(ScalarType.Int64));
    }

    private void Download(IdxDatasetSpec spec, string mirror, string cacheDir, params string[] baseNames)
    {
        using var handler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout, AutomaticDecompression = DecompressionMethods.None };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var files = new List<(string Name, byte[] Bytes)>();
        foreach (string baseName in baseNames)
        {
            string fileName = baseName + ".gz";
            string url = mirror.TrimEnd('/') + "/" + fileName;
            byte[] bytes;
            using (var headers = new CancellationTokenSource(ConnectTimeout))
            using (var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, headers.Token).GetAwaiter().GetResult())
            {
                response.EnsureSuccessStatusCode();
                using var transfer = new CancellationTokenSource(TransferTimeout);
                bytes = response.Content.ReadAsByteArrayAsync(transfer.Token).GetAwaiter().GetResult();
            }
            if (!spec.Checks.TryGetValue(baseName, out var check))
                throw new InvalidDataException($"{url}: no known digest for this file; refusing to trust it");
            Verify(url, bytes, check);
            files.Add((fileName, bytes));
        }
        // Both files verified: only now write them, each atomically.
        foreach (var (name, bytes) in files)
            AtomicFile.WriteAllBytes(Path.Combine(cacheDir, name), bytes);
    }

    /// <summary>Checks a downloaded file against its expected digest.</summary>
    internal static void Verify(string name, byte[] file, IdxFileCheck check)
    {
        if (check.ContentSha256 is { } sha)
        {
            string actual = ContentSha256(name, file);
            if (!actual.Equals(sha, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{name}: SHA-256 of the IDX content is {actual}, expected {sha}");
        }
        if (check.FileMd5 is { } md5)
        {
            string actual = Convert.ToHexStringLower(MD5.HashData(file));
            if (!actual.Equals(md5, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{name}: MD5 of the file is {actual}, expected {md5}");
        }
        if (check.ContentSha256 is null && check.FileMd5 is null)
            throw new InvalidDataException($"{name}: no digest to check against");
    }

    /// <summary>Lower-case hex SHA-256 of a file's IDX content: of its decompressed bytes when gzipped, else of the bytes.</summary>
    internal static string ContentSha256(string name, byte[] file)
    {
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b)
            return Convert.ToHexStringLower(SHA256.HashData(file));
        try
        {
            using var gz = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            return Convert.ToHexStringLower(SHA256.HashData(gz));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name}: the gzip data is corrupt: {e.Message}", e);
        }
    }
}
