using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary>Images given on the command line made into the small items the Fashion-MNIST models take.</summary>
internal static class ImageInput
{
    /// <summary>A grey image <c>uint8 [1, H, W]</c> as a side x side item, resized by area averaging when it is another size.</summary>
    public static Tensor ToItem(Tensor image, int side)
    {
        if (image.shape[1] == side && image.shape[2] == side) return image;
        var f = nn.functional.interpolate(image.unsqueeze(0).to_type(ScalarType.Float32), [side, side], mode: InterpolationMode.Area);
        return f.squeeze(0).round().clamp(0, 255).to_type(ScalarType.Byte);
    }
}
