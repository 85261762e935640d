using TorchSharp;
using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// One segmentation method of the <see cref="Segmenters"/> registry: its name, its paper, its recipe per budget, how its
/// network is built from an options record, and — for methods trained in stages, like FCN-16s from a trained FCN-32s
/// or a context module on a trained front end — which method it starts from and how the trained network of that stage
/// initialises the new one. Training, evaluation and loading are the same for every method (<see cref="SegmentationRun"/>),
/// since every network maps <c>[N, C, H, W]</c> to scores <c>[N, K, H, W]</c> (<see cref="ISegmentationNetwork"/>).
/// </summary>
/// <param name="Name">The name the CLI, the report and model cards use, e.g. <c>unet</c>.</param>
/// <param name="Description">What it is, with its paper.</param>
/// <param name="Recipe">The recipe for a budget; its <see cref="SegmenterRecipe.Options"/> is this method's options record.</param>
/// <param name="Create">Builds an untrained network for K classes (background included) from the options record; the
/// module must implement <see cref="ISegmentationNetwork"/>.</param>
public sealed record SegmenterMethod(string Name, string Description, Func<RunBudget, SegmenterRecipe> Recipe,
    Func<int, object, nn.Module<Tensor, Tensor>> Create)
{
    /// <summary>The method whose trained network this one starts from (<c>fcn32s</c> for <c>fcn16s</c>), or null to start from scratch.</summary>
    public string? StartsFrom { get; init; }

    /// <summary>Copies what the trained network of <see cref="StartsFrom"/> (second argument) gives the new one (first
    /// argument), e.g. FCN's <c>InitialiseFrom(coarser)</c>; required when <see cref="StartsFrom"/> is set.</summary>
    public Action<nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>>? InitialiseFrom { get; init; }

    /// <summary>Builds the network and checks it is a segmentation network.</summary>
    /// <param name="classes">K, background included.</param>
    /// <param name="options">This method's options record.</param>
    /// <exception cref="InvalidOperationException">The module does not implement <see cref="ISegmentationNetwork"/>.</exception>
    public nn.Module<Tensor, Tensor> Build(int classes, object options)
    {
        var net = Create(classes, options);
        if (net is not ISegmentationNetwork)
            throw new InvalidOperationException($"segmenter '{Name}': its network {net.GetType().Name} does not implement ISegmentationNetwork");
        return net;
    }

    /// <summary>Rebuilds a trained network from a checkpoint with its card, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="InvalidDataException">The checkpoint does not hold what the card says.</exception>
    public nn.Module<Tensor, Tensor> Load(string checkpoint, ModelCard card, Device device)
    {
        var options = card.SettingsAs(Recipe(RunBudget.Default).Options.GetType());
        var net = Build(card.ClassNames.Count + 1, options);
        Checkpoint.LoadModule(checkpoint, net);
        net.to(device);
        net.eval();
        return net;
    }
}
