namespace Aperture.Web;

/// <summary>What <c>aperture serve</c> serves and within which limits.</summary>
public sealed record ServeOptions
{
    /// <summary>Where the page listens, e.g. <c>http://127.0.0.1:5117</c> (port 0: a free port).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5117";

    /// <summary>Folders searched for trained runs (each run folder is a model; missing folders are skipped).</summary>
    public IReadOnlyList<string> Runs { get; init; } = ["runs", Path.Combine("report", "runs")];

    /// <summary>The folder the server's temporary working folder is made in; nothing is written outside that working folder.</summary>
    public string Out { get; init; } = "serve";

    /// <summary>Largest upload in bytes (the request body is refused beyond it).</summary>
    public long MaxUploadBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Largest upload in pixels, checked from the image header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = 25_000_000;

    /// <summary>The Fashion-MNIST folder the example images are drawn from (null: the usual search, ending at the shipped sample).</summary>
    public string? Data { get; init; }

    /// <summary>Seed of the examples and of selective search's ranking.</summary>
    public long Seed { get; init; }

    /// <summary>Checks the options before anything is started.</summary>
    /// <exception cref="ArgumentException">A limit is not positive or the address is not an http(s) URL.</exception>
    public void Validate()
    {
        if (MaxUploadBytes < 1) throw new ArgumentException($"--max-upload-mb must be positive (got {MaxUploadBytes} bytes)");
        if (MaxPixels < 1) throw new ArgumentException($"--max-megapixels must be positive (got {MaxPixels} pixels)");
        foreach (string url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new ArgumentException($"--urls '{url}' is not an http:// address such as http://127.0.0.1:5117");
    }
}
