using System.Diagnostics;
using System.Text.Json;
using Aperture.Detection;
using Aperture.Imaging;
using SkiaSharp;

namespace Aperture.Bench;

/// <summary>
/// Memory on big images (issue 12): selective search ("fast") on a 12-megapixel photo (4000x3000, a real photo —
/// scikit-image's astronaut when Debian's python3-skimage is there, else a generated scene — scaled up) with the
/// default <c>--max-side</c> 1600 and on the full image, and on an 8192x8192 black PNG (65 KB on disk). Each case runs
/// in a child process (this program, verb <c>big-image-case</c>, calling the same library function as
/// <c>aperture propose</c>) whose peak resident set (VmHWM, polled every 20 ms) is the figure: memory must follow the
/// work, not the pixel count. Usage: <c>big-images [--skip-full]</c>.
/// </summary>
internal static class BigImageBench
{
    public static object Run(string[] args)
    {
        string dir = Directory.CreateTempSubdirectory("aperture-big-").FullName;
        try
        {
            string photo = Path.Combine(dir, "photo-4000x3000.jpg"), black = Path.Combine(dir, "black-8192.png");
            string source = WritePhoto(photo);
            using (var b = new SKBitmap(8192, 8192, SKColorType.Gray8, SKAlphaType.Opaque))
            {
                b.Erase(SKColors.Black);
                ImageFile.Write(black, b);
            }
            var cases = new List<object>
            {
                Case("12 MP photo, propose fast, --max-side 1600 (default)", photo, 1600),
                args.Contains("--skip-full") ? new { name = "12 MP photo, --max-side 0", skipped = "--skip-full" } : Case("12 MP photo, propose fast, --max-side 0 (full image)", photo, 0),
                Case("8192x8192 black PNG, propose fast, --max-side 1600", black, 1600),
            };
            return new
            {
                benchmark = "big-images",
                photo_source = source,
                photo_bytes = new FileInfo(photo).Length,
                black_png_bytes = new FileInfo(black).Length,
                goal = "12 MP propose fast <= 1.5 GB peak RSS; 8192^2 PNG <= 2 GB or a clear refusal",
                cases,
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The child's work: one selective search, its result as JSON on stdout.</summary>
    public static object RunCase(string[] args)
    {
        string file = args[0];
        int maxSide = int.Parse(args[1]);
        var r = ImageProposals.Run(file, SelectiveSearchMode.Fast, 2000, 0, 0, 0, Path.GetTempPath(), maxSide);
        return new { ms = r.Milliseconds, boxes = r.Count, scale = r.Scale };
    }

    private static object Case(string name, string file, int maxSide)
    {
        string self = Environment.ProcessPath!, dll = typeof(BigImageBench).Assembly.Location;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!self.EndsWith("Aperture.Bench", StringComparison.Ordinal)) psi.ArgumentList.Add(dll); // run through 'dotnet'
        foreach (string a in new[] { "big-image-case", file, maxSide.ToString(System.Globalization.CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        long peakKb = 0;
        while (!p.HasExited)
        {
            peakKb = Math.Max(peakKb, PeakKb(p.Id));
            Thread.Sleep(20);
        }
        p.WaitForExit();
        double seconds = clock.Elapsed.TotalSeconds;
        object? result = null;
        try { result = JsonSerializer.Deserialize<JsonElement>(stdout.Result); } catch (JsonException) { }
        return new
        {
            name,
            exit_code = p.ExitCode,
            peak_rss_gb = Math.Round(peakKb / 1048576.0, 3),
            wall_seconds = Math.Round(seconds, 2),
            result,
            error = p.ExitCode == 0 ? null : stderr.Result.Split('\n').FirstOrDefault(l => l.Length > 0),
        };
    }

    private static long PeakKb(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException) { }
        return 0;
    }

    private static string WritePhoto(string path)
    {
        const string astronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
        SKBitmap small;
        string source;
        if (File.Exists(astronaut)) { small = ImageFile.Decode(astronaut); source = astronaut + " scaled to 4000x3000"; }
        else
        {
            using var items = Data.FashionMnist.Load(Data.DatasetSplit.Test);
            var scene = new Data.Scenes.SceneGenerator(items, 1, new Data.Scenes.SceneOptions { Width = 400, Height = 300, MaxItems = 12 }).Generate(0);
            using var t = scene.ImageTensor();
            small = ImageTensor.ToBitmap(t);
            source = "a generated 400x300 scene scaled to 4000x3000 (no python3-skimage photo here)";
        }
        using (small)
        using (var big = small.Resize(new SKImageInfo(4000, 3000, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)))
            ImageFile.Write(path, big, 92);
        return source;
    }
}
