using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>The classifiers Aperture trains, by the name the CLI uses.</summary>
public static class Classifiers
{
    /// <summary>Model names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "lenet5", "vgg-gap" };

    /// <summary>Builds a fresh classifier for <c>[N, inChannels, 28, 28]</c> inputs.</summary>
    /// <exception cref="ArgumentException">Unknown model name (the message lists the known ones).</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, int numClasses, int inChannels = 1) => name switch
    {
        "lenet5" => new LeNet5(numClasses, inChannels),
        "vgg-gap" => new VggGap(numClasses, inChannels),
        _ => throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}"),
    };
}
