using System.Globalization;
using Aperture.Classification;
using Aperture.Imaging;
using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>How a class's map is computed.</summary>
public enum ClassMapMethod
{
    /// <summary>Class activation map (Zhou et al. 2016): needs a network ending in global average pooling.</summary>
    Cam,

    /// <summary>Grad-CAM (Selvaraju et al. 2017): any network, at a chosen layer.</summary>
    GradCam,
}

/// <summary>One class's map over an image.</summary>
/// <param name="Class">Class name.</param>
/// <param name="Probability">Its softmax probability.</param>
/// <param name="Box">The box by the paper's 20% rule <c>[x1, y1, x2, y2]</c>, or null when the map has no positive value.</param>
public sealed record ClassMapEntry(string Class, double Probability, float[]? Box);

/// <summary>The class maps of one image file (what <c>aperture cam</c> draws per image).</summary>
/// <param name="Image">The file.</param>
/// <param name="Png">The picture: the image, then each class's heatmap with its box.</param>
/// <param name="Maps">The classes mapped, in order.</param>
public sealed record ImageClassMapsResult(string Image, string Png, IReadOnlyList<ClassMapEntry> Maps);

/// <summary>Class activation maps or Grad-CAM of a trained classifier over an image a user gives.</summary>
public static class ImageClassMaps
{
    /// <summary>Maps the top classes (or one chosen class) of an image file and draws them.</summary>
    /// <param name="model">A trained classifier, in eval mode.</param>
    /// <param name="spec">What it is.</param>
    /// <param name="file">PNG or JPEG file, resized to the model's input (<see cref="ClassifierSpec.ReadImage"/>).</param>
    /// <param name="method">CAM or Grad-CAM.</param>
    /// <param name="layer">Grad-CAM's layer, or null for the last of the convolutional part.</param>
    /// <param name="chosenClass">A class name or index to map instead of the top ones, or null.</param>
    /// <param name="topK">How many top classes.</param>
    /// <param name="invert">Invert grey levels first.</param>
    /// <param name="folder">Where the PNG goes (<c>cam_FILE.png</c> or <c>gradcam_FILE.png</c>).</param>
    /// <exception cref="ArgumentException">CAM on a network without GAP, a layer or class that does not exist, k out of range.</exception>
    public static ImageClassMapsResult Run(nn.Module<Tensor, Tensor> model, ClassifierSpec spec, string file, ClassMapMethod method, string? layer,
        string? chosenClass, int topK, bool invert, string folder)
    {
        var names = spec.ClassNames;
        if (topK < 1 || topK > names.Count) throw new ArgumentException($"top-k must be in 1 … {names.Count}, got {topK}");
        var layers = NetworkLayers.ConvolutionalPart(model).Select(l => l.Name).ToList();
        if (method == ClassMapMethod.Cam && model is not VggGap)
            throw new ArgumentException($"class activation maps need a network ending in global average pooling (vgg-gap); {spec.Model} has none — use Grad-CAM at a layer ({string.Join(", ", layers)})");
        string gradCamLayer = layer ?? layers[^1];
        if (method == ClassMapMethod.GradCam && !layers.Contains(gradCamLayer))
            throw new ArgumentException($"{spec.Model} has no layer '{gradCamLayer}'; valid layers: {string.Join(", ", layers)}");
        int? one = chosenClass is null ? null : ParseClass(chosenClass, names);

        using var scope = NewDisposeScope();
        var img = spec.ReadImage(file, invert);
        var input = spec.Normalize(img.unsqueeze(0)).to(model.parameters().First().device);
        var probs = nn.functional.softmax(model.forward(input), 1)[0].cpu();
        var classes = one is int c1 ? [c1] : probs.topk(topK).indexes.data<long>().Select(v => (int)v).ToList();
        var tiles = new List<Tensor> { img.shape[0] == 1 ? img.expand(3, -1, -1) : img };
        var captions = new List<Caption> { Caption.Plain(Path.GetFileName(file)) };
        var entries = new List<ClassMapEntry>();
        foreach (int c in classes)
        {
            var map = method == ClassMapMethod.Cam
                ? ClassActivationMap.Compute((VggGap)model, input, 1, c, names)[0][0].Upsampled
                : ClassActivationMap.Upsample(GradCam.Compute(model, gradCamLayer, input, tensor(new long[] { c })).Maps[0], spec.InputSize, spec.InputSize);
            var box = HeatmapBoxes.FromHeatmap(map.cpu());
            tiles.Add(ClassActivationMap.Draw(img, map.cpu(), box));
            float p = probs[c].item<float>();
            captions.Add(Caption.Plain($"{names[c]} {p.ToString("0.00", CultureInfo.InvariantCulture)}"));
            entries.Add(new ClassMapEntry(names[c], p, box is { } b ? [b.X1, b.Y1, b.X2, b.Y2] : null));
        }
        string png = Path.Combine(folder, $"{(method == ClassMapMethod.Cam ? "cam" : "gradcam")}_{Path.GetFileNameWithoutExtension(file)}.png");
        ImageTensor.Write(png, ImageGrid.Tile(stack(tiles.Select(t => t.to_type(ScalarType.Byte)).ToArray()), tiles.Count, 2, Math.Max(1, 168 / spec.InputSize), captions));
        return new ImageClassMapsResult(file, png, entries);
    }

    /// <summary>A class by name (case-insensitive) or index.</summary>
    /// <exception cref="ArgumentException">No such class (the message lists them).</exception>
    public static int ParseClass(string text, IReadOnlyList<string> names)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) && i >= 0 && i < names.Count) return i;
        for (int j = 0; j < names.Count; j++)
            if (string.Equals(names[j], text, StringComparison.OrdinalIgnoreCase)) return j;
        throw new ArgumentException($"class '{text}' does not exist; valid classes: {string.Join(", ", names.Select((n, j) => $"{j} ({n})"))}");
    }
}
