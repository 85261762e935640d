using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>What a layer does to the spatial grid, for the tools that walk a network layer by layer.</summary>
public enum LayerKind
{
    /// <summary>A 2-D convolution (<see cref="Conv2d"/>).</summary>
    Convolution,
    /// <summary>2-D max pooling (<see cref="MaxPool2d"/>).</summary>
    MaxPool,
    /// <summary>2-D average pooling (<see cref="AvgPool2d"/>).</summary>
    AvgPool,
    /// <summary>Rectification (<see cref="ReLU"/>): element-wise, the grid is unchanged.</summary>
    ReLU,
    /// <summary>Batch normalisation (<see cref="BatchNorm2d"/>): a per-channel affine map, the grid is unchanged.</summary>
    BatchNorm,
    /// <summary>Element-wise and the identity at inference (dropout, identity).</summary>
    PassThrough,
    /// <summary>Anything else (linear layers, flattening, …): ends the convolutional part.</summary>
    Other,
}

/// <summary>One leaf module of a network, with the name tools use for it.</summary>
/// <param name="Name">Short name: the module's own name ("conv1_1", "c1"), or its dotted path where short names clash.</param>
/// <param name="Path">Dotted path from the network ("Features.conv1_1").</param>
/// <param name="Module">The module.</param>
/// <param name="Kind">What it does to the grid.</param>
public sealed record NamedLayer(string Name, string Path, nn.Module Module, LayerKind Kind);

/// <summary>
/// Walks a network's modules: its leaves in registration order, and the convolutional part (the leading
/// convolutions, poolings, ReLUs and batch norms, up to the first other layer). The receptive-field
/// calculator, the deconvnet and Grad-CAM name layers through it.
/// </summary>
/// <remarks>
/// The walk assumes that the network applies its leaves in the order they were registered, which holds
/// for <see cref="Sequential"/> and for Aperture's classifiers (LeNet-5, VGG-GAP).
/// </remarks>
public static class NetworkLayers
{
    /// <summary>Every leaf module (one without children) of <paramref name="model"/>, depth first, in registration order.</summary>
    public static IReadOnlyList<NamedLayer> Leaves(nn.Module model)
    {
        var found = new List<(string Path, nn.Module Module)>();
        Walk(model, "", found);
        if (found.Count == 0) found.Add((model.GetName(), model));
        var clash = found.GroupBy(f => ShortName(f.Path)).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        return found.Select(f => new NamedLayer(clash.Contains(ShortName(f.Path)) ? f.Path : ShortName(f.Path), f.Path, f.Module, KindOf(f.Module)))
            .ToList();
    }

    /// <summary>
    /// The convolutional part: the leading leaves that are convolutions, poolings, ReLUs, batch norms or
    /// pass-throughs, up to (not including) the first other layer (for LeNet-5 c1 … s4; for VGG-GAP conv1_1 … relu3_2).
    /// </summary>
    /// <exception cref="ArgumentException">The network does not start with such a layer.</exception>
    public static IReadOnlyList<NamedLayer> ConvolutionalPart(nn.Module model)
    {
        var leaves = Leaves(model);
        var part = leaves.TakeWhile(l => l.Kind != LayerKind.Other).ToList();
        if (part.Count == 0)
            throw new ArgumentException($"{model.GetName()} does not start with a convolution or pooling layer (its first layer is " +
                $"'{leaves[0].Name}', a {leaves[0].Module.GetType().Name})");
        return part;
    }

    /// <summary>The layer called <paramref name="name"/> (short name or dotted path, case-sensitive).</summary>
    /// <exception cref="ArgumentException">No such layer; the message lists the valid names.</exception>
    public static int IndexOf(IReadOnlyList<NamedLayer> layers, string name)
    {
        for (int i = 0; i < layers.Count; i++)
            if (layers[i].Name == name || layers[i].Path == name) return i;
        throw new ArgumentException($"unknown layer '{name}'; valid layers: {string.Join(", ", layers.Select(l => l.Name))}");
    }

    /// <summary>The kind of a module.</summary>
    public static LayerKind KindOf(nn.Module module) => module switch
    {
        Conv2d => LayerKind.Convolution,
        MaxPool2d => LayerKind.MaxPool,
        AvgPool2d => LayerKind.AvgPool,
        ReLU => LayerKind.ReLU,
        BatchNorm2d => LayerKind.BatchNorm,
        Dropout or Dropout2d or Identity => LayerKind.PassThrough,
        _ => LayerKind.Other,
    };

    private static void Walk(nn.Module module, string prefix, List<(string, nn.Module)> found)
    {
        foreach (var (name, child) in module.named_children())
        {
            string path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (child.children().Any()) Walk(child, path, found);
            else found.Add((path, child));
        }
    }

    private static string ShortName(string path) => path[(path.LastIndexOf('.') + 1)..];
}
