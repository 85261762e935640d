using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Nn;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>One classifier of the registry: its name, what it is, the recipe it trains with unless told otherwise, and how to build it.</summary>
/// <param name="Name">The name the CLI, the report and model cards use.</param>
/// <param name="Description">What it is, with its paper.</param>
/// <param name="Recipe">Default training recipe.</param>
/// <param name="Create">Builds a fresh network for K classes and C input channels: <c>[N, C, S, S]</c> in, logits <c>[N, K]</c> out.</param>
public sealed record ClassifierMethod(string Name, string Description, ClassifierRecipe Recipe, Func<int, int, nn.Module<Tensor, Tensor>> Create)
{
    /// <summary>
    /// How the 28x28 items are shown to this model, given the images and a seed (null: as they are). The detectors' body
    /// sees them as the scenes draw them (<see cref="ItemPatches"/>); training and test images are both presented so.
    /// </summary>
    public Func<LabeledImages, long, LabeledImages>? Presentation { get; init; }

    /// <summary>Fixed input normalisation (mean, std of pixels in [0, 1]) instead of the training images' statistics: the
    /// detectors' body uses <see cref="Backbone.PixelMean"/> and <see cref="Backbone.PixelStd"/>, so a body pre-trained here
    /// sees the same numbers when it is fine-tuned in a detector.</summary>
    public (float Mean, float Std)? Normalization { get; init; }

    /// <summary>The side of the images the model trains on: the items' 28, or the <see cref="Presentation"/>'s.</summary>
    public int InputSize { get; init; } = Classifiers.InputSize;
}

/// <summary>
/// The recipe a model trains with unless told otherwise (batch size, optimizer, schedule, augmentation),
/// chosen so that LeNet-5 reaches about 90% and VGG-GAP about 92% on the Fashion-MNIST test set.
/// </summary>
/// <param name="Epochs">Epochs.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="Optimizer">Optimizer.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="WeightDecay">Weight decay.</param>
/// <param name="Nesterov">Nesterov momentum (SGD).</param>
/// <param name="Schedule">Learning-rate schedule.</param>
/// <param name="Augment">Random crop (padding 2) and horizontal flip of training batches.</param>
/// <param name="QuickEpochs">Epochs in the quick report (a subset of the data: a glimpse, not the figure).</param>
public sealed record ClassifierRecipe(int Epochs, int BatchSize, OptimizerKind Optimizer, double LearningRate, double WeightDecay,
    bool Nesterov, ScheduleKind Schedule, bool Augment, int QuickEpochs);

/// <summary>The classifiers Aperture trains: one line each.</summary>
public static class Classifiers
{
    /// <summary>Every classifier, in the order the report shows them.</summary>
    public static IReadOnlyList<ClassifierMethod> All { get; } =
    [
        new("lenet5", "LeNet-5 (LeCun et al. 1998)", new(5, 64, OptimizerKind.Sgd, 0.02, 0, false, ScheduleKind.Cosine, false, QuickEpochs: 4), (k, c) => new LeNet5(k, c)),
        new("vgg-gap", "VGG-style 3x3 convolutions ending in global average pooling (Zhou et al. 2016)", new(10, 128, OptimizerKind.Sgd, 0.05, 5e-4, true, ScheduleKind.Cosine, true, QuickEpochs: 3), (k, c) => new VggGap(k, c)),
        new(BackboneFc.Id, "the detectors' conv body (32/64/128, stride 4) + 7x7 max pooling + fc6, fc7 (256) + linear, as VGG-16 is to the R-CNN papers, on Fashion-MNIST items drawn as in the scenes "
            + "(32x32 RGB, tinted, on clutter): the supervised pre-training detectors start from (train detect --init RUN)",
            new(2, 128, OptimizerKind.Sgd, 0.05, 5e-4, true, ScheduleKind.Cosine, true, QuickEpochs: 1), (k, c) => new BackboneFc(k, c))
        {
            Presentation = (items, seed) => ItemPatches.Create(items, ItemPatches.DefaultSide, seed),
            Normalization = (Backbone.PixelMean, Backbone.PixelStd),
            InputSize = ItemPatches.DefaultSide,
        },
    ];

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>The classifier called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static ClassifierMethod Find(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}");

    /// <summary>The side H = W of the images every classifier here is built for (Fashion-MNIST's 28).</summary>
    public const int InputSize = 28;

    /// <summary>Builds a fresh classifier for <c>[N, inChannels, 28, 28]</c> inputs.</summary>
    /// <exception cref="ArgumentException">Unknown model name (the message lists the known ones).</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int numClasses, int inChannels = 1) => Find(name).Create(numClasses, inChannels);
}
