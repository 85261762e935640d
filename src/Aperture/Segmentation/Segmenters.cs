using Aperture.Core;
using Aperture.Segmentation.UNet;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>The segmenters Aperture trains: one line each.</summary>
public static class Segmenters
{
    /// <summary>Every segmenter, in the order the report shows them (a method trained in stages after the one it starts from).</summary>
    public static IReadOnlyList<SegmenterMethod> All { get; } =
    [
        new("unet", "U-Net (Ronneberger, Fischer & Brox 2015): encoder-decoder with skip connections by concatenation; 'same' padding instead of valid convolutions + overlap-tile",
            budget => budget switch
            {
                RunBudget.Quick => new(2, OptimizerKind.Adam, 2e-3, 8, new UNetOptions { BaseWidth = 8 }, Scenes: 300),
                RunBudget.Report => new(6, OptimizerKind.Adam, 2e-3, 8, new UNetOptions(), Scenes: 1000),
                _ => new(8, OptimizerKind.Adam, 2e-3, 8, new UNetOptions(), Scenes: 1000),
            },
            (classes, options) => new UNetNetwork(classes, (UNetOptions)options)),
    ];

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names => All.Select(m => m.Name).ToArray();

    /// <summary>The segmenter called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static SegmenterMethod Find(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"segmentation method '{name}' is not one of: {string.Join(", ", Names)}");

    /// <summary>The card a segmenter's checkpoints carry.</summary>
    /// <param name="method">Method name.</param>
    /// <param name="classNames">Object class names (no background).</param>
    /// <param name="mean">Per-channel pixel mean the network was trained with.</param>
    /// <param name="std">Per-channel pixel standard deviation.</param>
    /// <param name="options">The method's options record.</param>
    public static ModelCard Card(string method, IReadOnlyList<string> classNames, float[] mean, float[] std, object options) => new()
    {
        Family = ModelFamily.Segmenter, Method = method, ClassNames = classNames, InChannels = 3, Mean = mean, Std = std,
        Settings = ModelCard.SettingsOf(options),
    };

    /// <summary>Loads a trained segmenter from a checkpoint file or run folder, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Damaged, or not a segmenter (the message names the verb to use).</exception>
    public static (nn.Module<Tensor, Tensor> Network, ModelCard Card, SegmenterMethod Method) Load(string checkpointOrRun, Device device)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Segmenter);
        var method = All.FirstOrDefault(m => m.Name == card.Method)
            ?? throw new InvalidDataException($"{path}: unknown segmentation method '{card.Method}' (known: {string.Join(", ", Names)})");
        if (card.ClassNames.Count == 0 || card.Mean.Length != 3 || card.Std.Length != 3)
            throw new InvalidDataException($"{path}: the segmenter card is incomplete (classes and per-channel mean and std are needed)");
        return (method.Load(path, card, device), card, method);
    }
}
