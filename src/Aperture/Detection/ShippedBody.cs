using Aperture.Classification;
using Aperture.Core;

namespace Aperture.Detection;

/// <summary>
/// The pre-trained <see cref="BackboneFc"/> classifier that ships inside <c>Aperture.dll</c>, where R-CNN and Fast R-CNN
/// start their conv body and fc6/fc7 by default: what torchvision's <c>weights_backbone</c> and Detectron2's
/// <c>ImageNetPretrained</c> weights are to their detectors, and the ImageNet classifier (Caffe's model zoo) to both
/// R-CNN papers, which do not count its training in the detector's. It was trained once, on this repository's code,
/// by <c>aperture train classify --model backbone-fc --epochs 20 --lr 0.025 --out runs/body</c> (seed 0, the 60,000
/// Fashion-MNIST training items less 5,000 held out for validation, drawn as scene items; 87.6% on the 10,000 test
/// items drawn so; 39 minutes on 2 cores), then stripped of its optimizer state by <c>aperture weights export --model runs/body
/// --out body.safetensors</c> and <c>aperture weights import body.safetensors --model backbone-fc --channels 3 --mean
/// 0.45 --std 0.25 --out runs/shipped</c> (its <c>checkpoints/best.ckpt</c> is the file here). That run's
/// <c>results.json</c> ships beside it, with its paths made relative. Only Fashion-MNIST training items went into it:
/// the detectors' test scenes are drawn from the test items, so every detection score stays held out.
/// </summary>
public static class ShippedBody
{
    /// <summary>Epochs the shipped classifier was trained (its <c>results.json</c> says the same; a test checks).</summary>
    public const int Epochs = 20;

    private const string Prefix = "Aperture.Detection.Pretrained.";
    private const string CheckpointResource = Prefix + "backbone-fc.ckpt", ResultsResource = Prefix + "backbone-fc.results.json";

    /// <summary>
    /// Writes the shipped classifier as a run folder — <c>checkpoints/best.ckpt</c> and <c>results.json</c>, each
    /// atomically — that <see cref="BackboneWeights.FromClassifier"/> and <c>--init</c> read like any trained one.
    /// </summary>
    /// <param name="runFolder">The folder (created when missing).</param>
    /// <returns><paramref name="runFolder"/>.</returns>
    public static string WriteTo(string runFolder)
    {
        AtomicFile.Write(Path.Combine(runFolder, "checkpoints", "best.ckpt"), s => Copy(CheckpointResource, s));
        AtomicFile.Write(Path.Combine(runFolder, "results.json"), s => Copy(ResultsResource, s));
        return runFolder;
    }

    private static void Copy(string resource, Stream to)
    {
        using var from = typeof(ShippedBody).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"this build of Aperture.dll lacks its resource {resource}");
        from.CopyTo(to);
    }
}
