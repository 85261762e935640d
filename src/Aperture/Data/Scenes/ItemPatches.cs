using static TorchSharp.torch;

namespace Aperture.Data.Scenes;

/// <summary>
/// A classification dataset of items presented as the scenes present them (<see cref="SceneGenerator.ItemPatch"/>):
/// each Fashion-MNIST item tinted, scaled and blended onto a cluttered background in a small RGB patch, keeping its
/// label. The detectors' conv body is pre-trained on these before it is fine-tuned for detection, as R-CNN and Fast
/// R-CNN start from an ImageNet classifier.
/// </summary>
public static class ItemPatches
{
    /// <summary>The side of the patches the detectors' body is pre-trained on (32: items of 18–32 px, the scenes' smaller half).</summary>
    public const int DefaultSide = 32;

    /// <summary>Draws every item of <paramref name="items"/> once as a patch (in parallel; the result depends only on the seed).</summary>
    /// <param name="items">Grey or RGB items <c>uint8 [N, C, h, w]</c> with labels.</param>
    /// <param name="side">Patch side.</param>
    /// <param name="seed">Seed of scales, places, tints and backgrounds.</param>
    /// <param name="options">Scene options (clutter, foreground threshold); defaults when null.</param>
    /// <returns>RGB patches <c>uint8 [N, 3, side, side]</c> with the same labels and class names.</returns>
    public static LabeledImages Create(LabeledImages items, int side = DefaultSide, long seed = 0, SceneOptions? options = null)
    {
        var generator = new SceneGenerator(items, seed, options);
        int n = generator.ItemCount, plane = 3 * side * side;
        var pixels = new byte[(long)n * plane];
        Parallel.For(0, n, i => generator.ItemPatch(i, side).CopyTo(pixels, (long)i * plane));
        using var scope = NewDisposeScope();
        var images = tensor(pixels, new long[] { n, 3, side, side }, ScalarType.Byte);
        var labels = items.Labels.to_type(ScalarType.Int64).cpu().clone();
        return new LabeledImages(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), items.ClassNames,
            $"{items.Source}, drawn as scene items ({side}x{side} RGB patches)");
    }
}
