using Aperture.Imaging;
using Aperture.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Visualization;

/// <summary>Pictures of what a network computes: its first-layer filters and the feature maps of one image, layer by layer.</summary>
public static class FeatureMaps
{
    /// <summary>
    /// The feature maps of one image at one layer as a grid, each map scaled to [0, 1] by its own range.
    /// </summary>
    /// <param name="deconv">The deconvnet (for its forward pass) of the network.</param>
    /// <param name="image">One image <c>[C, H, W]</c> (uint8, or float in [0, 1]).</param>
    /// <param name="layer">Layer name (see <see cref="Deconvnet.LayerNames"/>).</param>
    /// <param name="maxMaps">Show at most this many maps (the first ones).</param>
    /// <param name="scale">Integer upscaling of each map.</param>
    /// <param name="prepare">Maps the image batch in [0, 1] to the network's input; null for none.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H', W']</c>.</returns>
    public static Tensor Grid(Deconvnet deconv, Tensor image, string layer, int maxMaps = 64, int scale = 2, Func<Tensor, Tensor>? prepare = null)
    {
        if (image.dim() != 3) throw new ArgumentException($"image must be [C, H, W], got [{string.Join(", ", image.shape)}]");
        using var scope = NewDisposeScope();
        var acts = deconv.Activations(TopActivations.Prepare(image.unsqueeze(0), prepare), layer)[0]; // [K, h, w]
        var maps = ImageGrid.NormalizeEach(acts.narrow(0, 0, Math.Min(maxMaps, acts.shape[0]))).unsqueeze(1);
        return ImageGrid.Tile(maps, 0, 1, scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The filters of the network's first convolution as a grid (<see cref="ImageGrid.Filters"/>: RGB filters as colour
    /// images, otherwise one grey image per input channel), each scaled by its own range.
    /// </summary>
    /// <param name="model">Any network whose convolutional part starts with a convolution.</param>
    /// <param name="scale">Integer upscaling of each filter.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H', W']</c>.</returns>
    public static Tensor FirstLayerFilters(nn.Module model, int scale = 8)
    {
        var first = NetworkLayers.ConvolutionalPart(model).FirstOrDefault(l => l.Module is Conv2d)
            ?? throw new ArgumentException($"{model.GetName()} has no convolution");
        using var scope = NewDisposeScope();
        var filters = ImageGrid.Filters(((Conv2d)first.Module).weight);
        return ImageGrid.Tile(filters, 0, 1, scale).MoveToOuterDisposeScope();
    }
}
