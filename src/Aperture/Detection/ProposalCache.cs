using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Aperture.Core;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Computes proposals for a set of images once and keeps them on disk (one JSON file per image set and source:
/// <c>{ "source": name, "seconds_per_image": s, "images": { id: [x1, y1, x2, y2, ...] } }</c>), since proposing is the
/// slow part of R-CNN-style training and evaluation. Missing images are computed (in parallel) and the file rewritten
/// atomically.
/// </summary>
public static class ProposalCache
{
    /// <summary>
    /// Attaches proposals to every image (<see cref="DetectionImage.SetProposals"/>), reading them from
    /// <paramref name="cacheFile"/> when present and computing the rest with <paramref name="source"/>.
    /// </summary>
    /// <param name="images">Images to attach proposals to.</param>
    /// <param name="source">The proposal method.</param>
    /// <param name="cacheFile">JSON cache file, or null to compute without caching.</param>
    /// <param name="threads">Images proposed in parallel (0: all cores).</param>
    /// <param name="log">Progress lines, or null.</param>
    /// <returns>Mean proposal time per image in milliseconds, measured when computed (or read from the cache).</returns>
    /// <exception cref="InvalidDataException">The cache file is not a proposal cache or belongs to another source.</exception>
    public static double Attach(IReadOnlyList<DetectionImage> images, IProposalSource source, string? cacheFile, int threads = 0, TextWriter? log = null)
    {
        var cached = new Dictionary<string, float[]>();
        double cachedMs = double.NaN;
        if (cacheFile is not null && File.Exists(cacheFile))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(cacheFile));
                var root = doc.RootElement;
                string? name = root.GetProperty("source").GetString();
                if (name != source.Name)
                    throw new InvalidDataException($"{cacheFile}: this proposal cache holds '{name}' proposals, not '{source.Name}'; delete it or choose another file");
                cachedMs = root.GetProperty("ms_per_image").GetDouble();
                foreach (var p in root.GetProperty("images").EnumerateObject())
                    cached[p.Name] = p.Value.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{cacheFile}: not a valid proposal cache ({e.Message})");
            }
        }
        var missing = images.Where(im => !cached.ContainsKey(im.Id)).ToList();
        double totalMs = 0;
        if (missing.Count > 0)
        {
            using var progress = ProgressReporter.From(log);
            progress.Message($"[proposals] {source.Name}: computing for {missing.Count} images ({images.Count - missing.Count} cached)");
            using var task = progress.Start($"proposals {source.Name}", missing.Count);
            var results = new float[missing.Count][];
            var ms = new double[missing.Count];
            Parallel.For(0, missing.Count, new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount }, i =>
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                var boxes = source.Propose(missing[i].Image);
                ms[i] = sw.Elapsed.TotalMilliseconds;
                results[i] = Boxes.ToArray(boxes);
                task.Advance();
            });
            task.Done();
            for (int i = 0; i < missing.Count; i++) cached[missing[i].Id] = results[i];
            totalMs = ms.Sum();
            double newMs = totalMs / missing.Count;
            cachedMs = double.IsNaN(cachedMs) ? newMs : cachedMs;
            if (cacheFile is not null) Save(cacheFile, source.Name, cachedMs, cached);
        }
        foreach (var im in images)
        {
            var flat = cached[im.Id];
            using var t = tensor(flat, new long[] { flat.Length / 4, 4 }, ScalarType.Float32);
            im.SetProposals(t);
        }
        return cachedMs;
    }

    private static void Save(string path, string source, double msPerImage, Dictionary<string, float[]> boxes)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("source", source);
            w.WriteNumber("ms_per_image", Math.Round(msPerImage, 3));
            w.WriteStartObject("images");
            foreach (var (id, b) in boxes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                w.WriteStartArray(id);
                foreach (float v in b) w.WriteNumberValue(MathF.Round(v, 2));
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        Aperture.Core.OutputFolder.Create(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }

    /// <summary>
    /// Proposals for tests and early experiments without a proposal method: each ground-truth box jittered
    /// <paramref name="perBox"/> times (shifts and scalings up to <paramref name="jitter"/> of its size), plus
    /// <paramref name="random"/> uniformly random boxes. Returns <c>float32 [P, 4]</c> clipped to the image.
    /// </summary>
    public static Tensor Jittered(Tensor gtBoxes, int width, int height, int perBox, int random, double jitter, Random rng)
    {
        var g = Boxes.ToArray(gtBoxes);
        var list = new List<float>();
        for (int k = 0; k < g.Length / 4; k++)
        {
            float w = g[4 * k + 2] - g[4 * k], h = g[4 * k + 3] - g[4 * k + 1];
            for (int j = 0; j < perBox; j++)
            {
                double J() => (rng.NextDouble() * 2 - 1) * jitter;
                float cx = g[4 * k] + w / 2 + (float)(J() * w), cy = g[4 * k + 1] + h / 2 + (float)(J() * h);
                float nw = w * (float)Math.Exp(J()), nh = h * (float)Math.Exp(J());
                list.AddRange(new[] { cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2 });
            }
        }
        for (int j = 0; j < random; j++)
        {
            float w = (float)(8 + rng.NextDouble() * (width - 8) * 0.8), h = (float)(8 + rng.NextDouble() * (height - 8) * 0.8);
            float x = (float)(rng.NextDouble() * (width - w)), y = (float)(rng.NextDouble() * (height - h));
            list.AddRange(new[] { x, y, x + w, y + h });
        }
        using var t = tensor(list.ToArray(), new long[] { list.Count / 4, 4 }, ScalarType.Float32);
        return Boxes.Clip(t, width, height);
    }

    internal static string Describe(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("F1", CultureInfo.InvariantCulture);
}
