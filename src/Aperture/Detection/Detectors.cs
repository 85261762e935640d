using Aperture.Core;
using Aperture.Detection.FastRcnn;
using Aperture.Detection.SlidingWindow;
using Aperture.Detection.Rcnn;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>The detectors Aperture trains: one line each.</summary>
public static class Detectors
{
    /// <summary>Every detector, in the order the report shows them.</summary>
    public static IReadOnlyList<IDetectorMethod> All { get; } =
    [
        new SlidingWindowMethod(),
        new RcnnMethod(),
        new FastRcnnMethod(),
    ];

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>The detector called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static IDetectorMethod Find(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"detection method '{name}' is not one of: {string.Join(", ", Names)}");

    /// <summary>The card a detector's checkpoints carry.</summary>
    /// <param name="method">Method name.</param>
    /// <param name="classNames">Object class names.</param>
    /// <param name="widths">Backbone stage widths.</param>
    /// <param name="options">The method's options record.</param>
    /// <param name="proposals">Proposal source name, or null.</param>
    /// <param name="backboneWeights">Where the conv body started (<see cref="BackboneWeights.Origin"/>), or null for from scratch.</param>
    public static ModelCard Card(string method, IReadOnlyList<string> classNames, IEnumerable<int> widths, object options, string? proposals,
        string? backboneWeights = null) => new()
    {
        Family = ModelFamily.Detector, Method = method, ClassNames = classNames, InChannels = 3, Widths = widths.ToArray(),
        Settings = ModelCard.SettingsOf(options), Proposals = proposals, BackboneWeights = backboneWeights,
    };

    /// <summary>Loads a trained detector from a checkpoint file or run folder, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Damaged, or not a detector (the message names the verb to use).</exception>
    public static (IObjectDetector Detector, ModelCard Card, IDetectorMethod Method) Load(string checkpointOrRun, Device device)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Detector);
        var method = All.FirstOrDefault(m => m.Name == card.Method)
            ?? throw new InvalidDataException($"{path}: unknown detection method '{card.Method}' (known: {string.Join(", ", Names)})");
        if (card.ClassNames.Count == 0 || card.Widths is null)
            throw new InvalidDataException($"{path}: the detector card is incomplete (classes and backbone widths are needed)");
        return (method.Load(path, card, device), card, method);
    }
}
