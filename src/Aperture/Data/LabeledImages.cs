using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// Images with one class label each, held in memory: the common currency of the classification
/// datasets (IDX files such as Fashion-MNIST, image folders) and the input of the scene generator.
/// </summary>
/// <param name="Images">Pixels, <c>uint8</c>, shape <c>[N, C, H, W]</c>.</param>
/// <param name="Labels">Class indices, <c>int64</c>, shape <c>[N]</c>, each in <c>[0, ClassNames.Count)</c>.</param>
/// <param name="ClassNames">Names of the classes, indexed by label.</param>
/// <param name="Source">Where the data came from (a folder, a file, "repository sample"), said to the user.</param>
public sealed record LabeledImages(Tensor Images, Tensor Labels, IReadOnlyList<string> ClassNames, string Source) : IDisposable
{
    /// <summary>Number of images, N.</summary>
    public long Count => Images.shape[0];

    /// <summary>Frees the native tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
