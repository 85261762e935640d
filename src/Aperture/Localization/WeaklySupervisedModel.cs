using Aperture.Classification;
using Aperture.Core;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// A GAP network trained with image-level labels for weakly supervised localization, with what is needed to use it:
/// class names, input size and normalisation. Its <see cref="ModelCard"/> is stored in every checkpoint of the run,
/// so <see cref="Load"/> rebuilds it from the file alone.
/// </summary>
/// <param name="Network">The VGG-GAP network (3 input channels).</param>
/// <param name="ClassNames">Class names, indexed by class.</param>
/// <param name="InputSize">Side the scenes are shrunk to before the network.</param>
/// <param name="Widths">Channels of the three stages.</param>
/// <param name="Mean">Per-channel mean of pixels in [0, 1] <c>[3]</c>.</param>
/// <param name="Std">Per-channel standard deviation <c>[3]</c>.</param>
public sealed record WeaklySupervisedModel(VggGap Network, IReadOnlyList<string> ClassNames, int InputSize, int[] Widths, float[] Mean, float[] Std)
{
    /// <summary>The model card its checkpoints carry (family <see cref="ModelFamily.Localizer"/>).</summary>
    public ModelCard ToCard() => new()
    {
        Family = ModelFamily.Localizer, Method = "vgg-gap", ClassNames = ClassNames, InChannels = 3, InputSize = InputSize, Widths = Widths,
        Mean = Mean, Std = Std,
    };

    /// <summary>Loads a model written by <see cref="WeaklySupervisedLocalization.Train"/> (checkpoint or run folder), in eval mode.</summary>
    /// <exception cref="InvalidDataException">The checkpoint holds another kind of model (the message names the verb to use) or an incomplete card.</exception>
    public static WeaklySupervisedModel Load(string checkpointOrRun)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Localizer);
        if (card.ClassNames.Count == 0 || card.Widths is not { Length: 3 } widths || card.Mean.Length != 3 || card.Std.Length != 3 || card.InputSize < 8)
            throw new InvalidDataException($"{path}: the localizer card is incomplete (classes, three widths, input size and per-channel mean and std are needed)");
        var model = new WeaklySupervisedModel(new VggGap(card.ClassNames.Count, 3, widths), card.ClassNames, card.InputSize, widths, card.Mean, card.Std);
        Checkpoint.LoadModule(path, model.Network);
        model.Network.eval();
        return model;
    }

    /// <summary>Shrinks scenes <c>uint8 [N, 3, H, W]</c> to the input size (area averaging, rounded): <c>uint8 [N, 3, s, s]</c>.</summary>
    public Tensor Shrink(Tensor images) => WeaklySupervisedLocalization.Shrink(images, InputSize);

    /// <summary>The network input for scenes <c>uint8 [N, 3, H, W]</c> (any size): shrunk, scaled to [0, 1] and normalised, <c>float32 [N, 3, s, s]</c>.</summary>
    public Tensor Prepare(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"scenes must be uint8 [N, 3, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var small = images.shape[2] == InputSize && images.shape[3] == InputSize ? images : Shrink(images);
        return Normalize(small).MoveToOuterDisposeScope();
    }

    /// <summary>Scales already shrunk <c>uint8 [N, 3, s, s]</c> images to [0, 1] and normalises them per channel.</summary>
    internal Tensor Normalize(Tensor small)
    {
        var dev = small.device;
        var mean = tensor(Mean).view(1, 3, 1, 1).to(dev);
        var std = tensor(Std).view(1, 3, 1, 1).to(dev);
        return small.to_type(ScalarType.Float32).div(255).sub(mean).div(std);
    }

    /// <summary>
    /// The class activation maps of scenes for their <paramref name="topK"/> highest-scoring classes (or for
    /// <paramref name="classes"/>), upsampled to the scene size, each with its box by the 20% rule.
    /// </summary>
    /// <param name="images">Scenes <c>uint8 [N, 3, H, W]</c>.</param>
    /// <param name="topK">How many classes per scene, by decreasing score.</param>
    /// <param name="classes">Per scene the classes to map instead of the top ones, or null.</param>
    /// <returns>Per scene its maps (tensors <c>[H, W]</c> float on the CPU, owned by the caller's dispose scope).</returns>
    public IReadOnlyList<IReadOnlyList<LocalizedClass>> Localize(Tensor images, int topK = 1, IReadOnlyList<IReadOnlyList<int>>? classes = null)
    {
        int k = ClassNames.Count;
        if (classes is null && (topK < 1 || topK > k)) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be in 1 … {k}");
        if (classes is not null && classes.Count != images.shape[0]) throw new ArgumentException($"{classes.Count} class lists for {images.shape[0]} scenes");
        foreach (var c in classes?.SelectMany(x => x) ?? [])
            if (c < 0 || c >= k) throw new ArgumentException($"class {c} does not exist; valid classes: {ClassActivationMap.ValidClasses(k, ClassNames)}");
        Network.eval();
        var device = Network.Classifier.weight.device;
        int h = (int)images.shape[2], w = (int)images.shape[3];
        var result = new List<IReadOnlyList<LocalizedClass>>();
        using var noGrad = no_grad();
        using (var scope = NewDisposeScope())
        {
            var x = Prepare(images).to(device);
            var f = Network.Features.forward(x);
            var logits = Network.Classifier.forward(f.mean(new long[] { 2, 3 }));
            var probs = logits.sigmoid().cpu();
            var maps = ClassActivationMap.AllClasses(f, Network.Classifier);
            var order = logits.topk(topK, 1).indexes.cpu();
            for (int n = 0; n < images.shape[0]; n++)
            {
                var list = new List<LocalizedClass>();
                var chosen = classes?[n] ?? order[n].data<long>().Select(v => (int)v).ToList();
                foreach (int c in chosen)
                {
                    var up = ClassActivationMap.Upsample(maps[n, c], h, w).cpu();
                    list.Add(new LocalizedClass(c, ClassNames[c], probs[n, c].item<float>(), up.MoveToOuterDisposeScope(), HeatmapBoxes.FromHeatmap(up)));
                }
                result.Add(list);
            }
        }
        return result;
    }
}

/// <summary>One class's localization in one scene.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Probability">The sigmoid score of the class (multi-label: independent per class).</param>
/// <param name="Cam">The class activation map upsampled to the scene, <c>[H, W]</c> float.</param>
/// <param name="Box">The box from the map by the 20% rule, or null when the map has no positive value.</param>
public sealed record LocalizedClass(int Class, string Name, float Probability, Tensor Cam, Box? Box);
