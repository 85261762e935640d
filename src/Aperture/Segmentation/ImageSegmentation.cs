using System.Diagnostics;
using Aperture.Core;
using Aperture.Data.Formats;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>What a trained segmenter made of one image (what <c>aperture segment</c> reports per file).</summary>
/// <param name="Image">The image file.</param>
/// <param name="Width">W.</param>
/// <param name="Height">H.</param>
/// <param name="Classes">Share of the image's pixels per predicted class (classes present only; <c>background</c> included).</param>
/// <param name="Mask">The label PNG written (0 background, class id + 1), or null.</param>
/// <param name="Overlay">The overlay PNG written, or null.</param>
/// <param name="Ms">Inference time.</param>
public sealed record ImageSegmentationResult(string Image, int Width, int Height, IReadOnlyDictionary<string, double> Classes, string? Mask, string? Overlay, double Ms);

/// <summary>
/// A trained 2-D segmenter applied to an image a user gives, of any size (padded, tiled by
/// <see cref="SegmentationInference"/>): the share of pixels per class, and optionally the overlay and the label mask.
/// </summary>
public static class ImageSegmentation
{
    /// <summary>Segments one image file (PNG or JPEG; grey images are expanded to RGB).</summary>
    /// <param name="network">The segmenter, in eval mode.</param>
    /// <param name="card">Its model card (classes, mean, std).</param>
    /// <param name="inference">Tiling.</param>
    /// <param name="file">Image file.</param>
    /// <param name="overlayTo">PNG to paint the predicted classes over the image into, or null.</param>
    /// <param name="maskTo">PNG to write the label mask into (readable as VOC <c>SegmentationClass</c>), or null.</param>
    /// <exception cref="InvalidDataException">Not a readable image (the message names the file).</exception>
    public static ImageSegmentationResult Run(nn.Module<Tensor, Tensor> network, ModelCard card, SegmentationInference inference, string file, string? overlayTo, string? maskTo)
    {
        using var scope = NewDisposeScope();
        var names = new[] { "background" }.Concat(card.ClassNames).ToList();
        var image = ImageTensor.Read(file);
        if (image.shape[0] == 1) image = image.expand(3, -1, -1);
        var clock = Stopwatch.StartNew();
        var labels = inference.Labels(network, image, card.Mean, card.Std);
        double ms = clock.Elapsed.TotalMilliseconds;
        var counts = labels.flatten().to_type(ScalarType.Int64).bincount(null, names.Count).data<long>().ToArray();
        long total = labels.numel();
        var shares = counts.Select((c, i) => (Name: names[i], Count: c)).Where(p => p.Count > 0).ToDictionary(p => p.Name, p => (double)p.Count / total);
        if (overlayTo is not null) ImageTensor.Write(overlayTo, Overlay.Mask(image, labels, 0.55));
        if (maskTo is not null) LabelMask.Write(maskTo, labels);
        return new ImageSegmentationResult(file, (int)image.shape[2], (int)image.shape[1], shares, maskTo, overlayTo, ms);
    }
}
