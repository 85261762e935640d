using Aperture.Classification;
using Aperture.Core;
using Aperture.Segmentation.VNet;

namespace Aperture.Web;

/// <summary>What the page can show of an image; each is the CLI verb of the same name, run through the same library call.</summary>
public enum Analysis
{
    /// <summary>Selective-search proposals (<c>aperture propose</c>); needs no trained model.</summary>
    Propose,

    /// <summary>The top classes of a classifier (<c>aperture predict</c>).</summary>
    Predict,

    /// <summary>Class activation maps with their boxes (<c>aperture cam</c>); a network ending in global average pooling.</summary>
    Cam,

    /// <summary>Grad-CAM maps with their boxes (<c>aperture cam --method gradcam</c>); any classifier.</summary>
    GradCam,

    /// <summary>Detections with scores (<c>aperture detect</c>).</summary>
    Detect,

    /// <summary>A segmentation mask over the image (<c>aperture segment --overlay</c>).</summary>
    Segment,
}

/// <summary>Which analyses a model card allows, and their names on the page.</summary>
public static class Analyses
{
    /// <summary>The analyses a trained model of this card can do (selective search needs none, so it is not listed).</summary>
    public static IReadOnlyList<Analysis> For(ModelCard card) => card.Family switch
    {
        ModelFamily.Classifier when Classifiers.Names.Contains(card.Method) =>
            card.Method == "vgg-gap" ? [Analysis.Predict, Analysis.Cam, Analysis.GradCam] : [Analysis.Predict, Analysis.GradCam],
        ModelFamily.Detector => [Analysis.Detect],
        ModelFamily.Segmenter when card.Method != VNetSegmenter.Method => [Analysis.Segment],
        _ => [],
    };

    /// <summary>The analysis's name on the wire: the verb's, lower case (<c>gradcam</c> for Grad-CAM).</summary>
    public static string Name(Analysis a) => a.ToString().ToLowerInvariant();

    /// <summary>The analysis named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such analysis (the message lists them).</exception>
    public static Analysis Parse(string? name)
    {
        foreach (var a in Enum.GetValues<Analysis>())
            if (Name(a) == name?.Trim().ToLowerInvariant()) return a;
        throw new ArgumentException($"unknown analysis '{name}'; one of: {string.Join(", ", Enum.GetValues<Analysis>().Select(Name))}");
    }
}
