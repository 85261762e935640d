using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Web;

/// <summary>
/// The example images the page offers, made from what the library ships (so there is always something to try): two
/// seeded scenes of Fashion-MNIST test items on cluttered ground (what the detectors and segmenters train on), and
/// test items as the classifiers see them.
/// </summary>
public static class ExampleImages
{
    /// <summary>Writes the examples into <paramref name="folder"/>; returns their file names.</summary>
    /// <param name="folder">The working folder's example folder.</param>
    /// <param name="data">The Fashion-MNIST folder, or null for the usual search (ending at the shipped sample).</param>
    /// <param name="seed">Seed of the scenes.</param>
    public static IReadOnlyList<string> Write(string folder, string? data, long seed)
    {
        using var scope = NewDisposeScope();
        using var test = FashionMnist.Load(DatasetSplit.Test, data);
        var names = new List<string>();
        var scenes = new SceneGenerator(test, seed, new SceneOptions { Width = 192, Height = 144, MinItems = 3, MaxItems = 4 });
        for (int i = 0; i < 2; i++)
        {
            string name = $"scene-{i + 1}.png";
            ImageTensor.Write(Path.Combine(folder, name), scenes.Generate(i).ImageTensor());
            names.Add(name);
        }
        // The first test images of two classes a classifier tells apart well: an ankle boot and a trouser.
        var labels = test.Labels.data<long>().ToArray();
        foreach (int cls in new[] { 9, 1 })
        {
            int index = Array.IndexOf(labels, (long)cls);
            if (index < 0) continue;
            string name = $"item-{test.ClassNames[cls].ToLowerInvariant().Replace(' ', '-')}.png";
            ImageTensor.Write(Path.Combine(folder, name), test.Images[index]);
            names.Add(name);
        }
        return names;
    }
}
