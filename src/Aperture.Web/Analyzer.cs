using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Detection;
using Aperture.Localization;
using Aperture.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Web;

/// <summary>What the page asked for.</summary>
/// <param name="Analysis">What to show.</param>
/// <param name="Run">The trained run to use, or null for selective search.</param>
/// <param name="Count">Boxes drawn (proposals) or classes shown (top-k, CAM); 0: the verb's default.</param>
/// <param name="Mode">Selective search's mode (single, fast, quality), also for detectors that use proposals.</param>
public sealed record AnalysisRequest(Analysis Analysis, ServedRun? Run, int Count = 0, string Mode = "fast")
{
    /// <summary>Checks the request before any upload is read.</summary>
    /// <exception cref="ArgumentException">The run cannot do this analysis, or the mode is unknown.</exception>
    public void Validate()
    {
        if (Analysis != Analysis.Propose && (Run is null || !Run.Analyses.Contains(Analysis)))
            throw new ArgumentException(Run is null
                ? $"{Analyses.Name(Analysis)} needs a trained run; choose one"
                : $"{Run.Id} is a {ModelFamily.Describe(Run.Card.Family)} ({Run.Card.Method}); it can show {string.Join(", ", Run.Analyses.Select(Analyses.Name))}, not {Analyses.Name(Analysis)}");
        SelectiveSearchProposals.ParseMode(Mode);
    }
}

/// <summary>One line of a result: a class, box or share.</summary>
/// <param name="Label">Class name, or <c>proposal</c>.</param>
/// <param name="Score">Probability, score or share of pixels, or null.</param>
/// <param name="Box">Box <c>[x1, y1, x2, y2]</c> in the image's pixels, or null.</param>
public sealed record ResultItem(string Label, double? Score, float[]? Box);

/// <summary>What an analysis made of an image: the files in its request folder and a summary for the page.</summary>
/// <param name="Picture">The result PNG's file name, or null when the result is only a list (top-k).</param>
/// <param name="Json">The file name of the verb's own JSON result (what <c>--json</c> prints).</param>
/// <param name="Summary">One line for a person.</param>
/// <param name="Items">Classes, boxes or shares, best first.</param>
/// <param name="Ms">Time of the work, loading the model included.</param>
public sealed record AnalysisOutcome(string? Picture, string Json, string Summary, IReadOnlyList<ResultItem> Items, double Ms);

/// <summary>
/// Runs one analysis on a saved image through the library call its CLI verb uses (<see cref="ImageProposals"/>,
/// <see cref="ClassifierEvaluation.TopK"/>, <see cref="ImageClassMaps"/>, <see cref="ImageDetection"/>,
/// <see cref="ImageSegmentation"/>). One analysis runs at a time; the last model used stays loaded.
/// </summary>
public sealed class Analyzer(Device device, long seed) : IDisposable
{
    /// <summary>Proposals kept per image (the verb's <c>--max</c> default).</summary>
    public const int MaxProposals = 2000;

    /// <summary>Proposals listed on the page (all of them are in the JSON).</summary>
    public const int MaxListed = 10;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Key, object Model)? _loaded;

    /// <summary>Runs <paramref name="request"/> on <paramref name="image"/>, writing into <paramref name="folder"/>.</summary>
    /// <param name="request">What to do.</param>
    /// <param name="image">The saved image.</param>
    /// <param name="name">Its name as the person gave it (error messages use it).</param>
    /// <param name="folder">The request folder.</param>
    /// <exception cref="ArgumentException">The run cannot do this analysis, or an option is out of range.</exception>
    /// <exception cref="InvalidDataException">The image is corrupt (the message names <paramref name="name"/>).</exception>
    public async Task<AnalysisOutcome> RunAsync(AnalysisRequest request, string image, string name, string folder)
    {
        request.Validate();
        await _gate.WaitAsync();
        try
        {
            return await Task.Run(() => Upload.Named(image, name, () => Run(request, image, folder)));
        }
        finally
        {
            _gate.Release();
        }
    }

    private AnalysisOutcome Run(AnalysisRequest request, string image, string folder)
    {
        var clock = Stopwatch.StartNew();
        string stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(image));
        string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        switch (request.Analysis)
        {
            case Analysis.Propose:
            {
                int draw = request.Count > 0 ? request.Count : 50;
                var p = ImageProposals.Run(image, SelectiveSearchProposals.ParseMode(request.Mode), MaxProposals, seed, 0, draw, folder);
                return Done(p, folder, p.Drawn, $"{p.Count} proposals in {p.Milliseconds:F0} ms ({p.Mode} mode); the best {Math.Min(draw, p.Count)} drawn, all in the JSON",
                    p.Boxes.Take(Math.Min(draw, MaxListed)).Select(b => new ResultItem("proposal", null, b)), clock);
            }
            case Analysis.Predict:
            {
                var (model, spec) = Classifier(request.Run!);
                var top = ClassifierEvaluation.TopK(model, spec, image, Math.Clamp(request.Count > 0 ? request.Count : 3, 1, spec.ClassNames.Count));
                return Done(new { image, top }, folder, null, $"{spec.Model}: {top[0].Class} {F(top[0].Probability)}",
                    top.Select(c => new ResultItem(c.Class, c.Probability, null)), clock);
            }
            case Analysis.Cam or Analysis.GradCam:
            {
                var (model, spec) = Classifier(request.Run!);
                var kind = request.Analysis == Analysis.Cam ? ClassMapMethod.Cam : ClassMapMethod.GradCam;
                var maps = ImageClassMaps.Run(model, spec, image, kind, null, null, Math.Clamp(request.Count > 0 ? request.Count : 3, 1, spec.ClassNames.Count), false, folder);
                return Done(maps, folder, maps.Png, $"{(kind == ClassMapMethod.Cam ? "CAM" : "Grad-CAM")} of {spec.Model} for its top {maps.Maps.Count} classes; boxes by the 20% rule",
                    maps.Maps.Select(m => new ResultItem(m.Class, m.Probability, m.Box)), clock);
            }
            case Analysis.Detect:
            {
                var (detector, method) = Detector(request.Run!);
                var source = detector.UsesProposals ? new SelectiveSearchProposals(SelectiveSearchProposals.ParseMode(request.Mode), MaxProposals, seed, 0) : null;
                var found = ImageDetection.Run(detector, source, image, method.DisplayThreshold, stem + "-detections.png");
                return Done(found, folder, found.Drawn, $"{detector.Method}: {found.Detections.Count} objects scoring at least {method.DisplayThreshold.ToString(CultureInfo.InvariantCulture)} "
                    + $"({found.DetectMs:F0} ms{(found.Proposals is long n ? $", {n} proposals in {found.ProposalMs:F0} ms" : "")})",
                    found.Detections.Select(o => new ResultItem(o.Class, o.Score, o.Box)), clock);
            }
            case Analysis.Segment:
            {
                var (network, card) = Segmenter(request.Run!);
                var seg = ImageSegmentation.Run(network, card, new SegmentationInference(), image, stem + "-overlay.png", stem + "-mask.png");
                return Done(seg, folder, seg.Overlay, $"{card.Method}: {seg.Width}x{seg.Height} in {seg.Ms:F0} ms",
                    seg.Classes.OrderByDescending(kv => kv.Value).Select(kv => new ResultItem(kv.Key, kv.Value, null)), clock);
            }
            default:
                throw new ArgumentException($"unknown analysis {request.Analysis}");
        }
    }

    private static AnalysisOutcome Done(object result, string folder, string? picture, string summary, IEnumerable<ResultItem> items, Stopwatch clock)
    {
        // The verb's own JSON, with the server's folder left out of the paths.
        string json = JsonSerializer.Serialize(result, result.GetType(), RunResults.Json).Replace(folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        AtomicFile.WriteAllText(Path.Combine(folder, "result.json"), json);
        return new AnalysisOutcome(picture is null ? null : Path.GetFileName(picture), "result.json", summary, items.ToList(), clock.Elapsed.TotalMilliseconds);
    }

    private (nn.Module<Tensor, Tensor> Model, ClassifierSpec Spec) Classifier(ServedRun run) =>
        Cached(run, () => { var (m, s) = ClassifierSpec.Load(run.Checkpoint); m.to(device); return (m, s); });

    private (IObjectDetector Detector, IDetectorMethod Method) Detector(ServedRun run) =>
        Cached(run, () => { var (d, _, m) = Detectors.Load(run.Checkpoint, device); return (d, m); });

    private (nn.Module<Tensor, Tensor> Network, ModelCard Card) Segmenter(ServedRun run) =>
        Cached(run, () => { var (n, c, _) = Segmenters.Load(run.Checkpoint, device); return (n, c); });

    /// <summary>The run's model, loaded once while it is the last one used (and its checkpoint unchanged).</summary>
    private T Cached<T>(ServedRun run, Func<T> load) where T : notnull
    {
        string key = $"{Path.GetFullPath(run.Checkpoint)}@{File.GetLastWriteTimeUtc(run.Checkpoint).Ticks}";
        if (_loaded is { } l && l.Key == key && l.Model is T same) return same;
        Unload();
        var model = load();
        _loaded = (key, model);
        return model;
    }

    private void Unload()
    {
        if (_loaded is { Model: ITuple t })
            for (int i = 0; i < t.Length; i++) (t[i] as IDisposable)?.Dispose();
        _loaded = null;
    }

    /// <summary>Frees the loaded model.</summary>
    public void Dispose()
    {
        Unload();
        _gate.Dispose();
    }
}
