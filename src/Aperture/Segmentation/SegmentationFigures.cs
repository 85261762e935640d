using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>The family's pictures: held-out images beside their true and predicted masks, painted over the image.</summary>
public static class SegmentationFigures
{
    /// <summary>
    /// Writes a grid of rows <c>image | ground truth | prediction 1 | … </c> (masks blended over the image, ignore pixels
    /// shown as background) as a PNG.
    /// </summary>
    /// <param name="path">PNG to write.</param>
    /// <param name="images">Images (the first <paramref name="count"/> are drawn).</param>
    /// <param name="predictions">One list of predicted labels <c>[H, W]</c> per model, each aligned with <paramref name="images"/>.</param>
    /// <param name="count">Rows.</param>
    /// <param name="truthLast">Put the ground truth in the last column (the lecture's FCN figure) instead of the second.</param>
    /// <returns><paramref name="path"/>.</returns>
    public static string Write(string path, IReadOnlyList<SegmentationImage> images, IReadOnlyList<IReadOnlyList<Tensor>> predictions, int count = 6,
        bool truthLast = false)
    {
        int n = Math.Min(count, images.Count);
        if (n == 0) throw new ArgumentException("no image to draw");
        using var scope = NewDisposeScope();
        var tiles = new List<Tensor>();
        for (int i = 0; i < n; i++)
        {
            var im = images[i];
            var truth = Overlay.Mask(im.Image, im.Mask.masked_fill(im.Mask.eq(PixelCrossEntropy.IgnoreLabel), 0), 0.6);
            tiles.Add(im.Image);
            if (!truthLast) tiles.Add(truth);
            foreach (var model in predictions) tiles.Add(Overlay.Mask(im.Image, model[i], 0.6));
            if (truthLast) tiles.Add(truth);
        }
        int columns = predictions.Count + 2;
        var sameSize = tiles.All(t => t.shape[1] == tiles[0].shape[1] && t.shape[2] == tiles[0].shape[2]);
        if (!sameSize)
            tiles = tiles.Select(t => nn.functional.interpolate(t.unsqueeze(0).to_type(ScalarType.Float32), new long[] { 128, 128 }, mode: InterpolationMode.Nearest)[0].to_type(ScalarType.Byte)).ToList();
        var grid = ImageGrid.Tile(stack(tiles), columns, padding: 2, scale: 2);
        ImageTensor.Write(path, grid);
        return path;
    }
}
