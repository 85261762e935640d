using System.Text.Json.Nodes;
using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>The density models Aperture fits: one line each.</summary>
public static class DensityModels
{
    /// <summary>Every density model, in the order the likelihood table shows them.</summary>
    public static IReadOnlyList<IDensityMethod> All { get; } =
    [
        new KdeMethod(),
        new PpcaMethod(),
        new DensityNetworkMethod(),
        new VaeMethod(),
    ];

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>The density model called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static IDensityMethod Find(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"density model '{name}' is not one of: {string.Join(", ", Names)}");

    /// <summary>The card a density model's checkpoint carries: 28x28 grey images flattened to 784, its options as settings.</summary>
    public static ModelCard Card(string method, object options) => new()
    {
        Family = ModelFamily.DensityModel, Method = method, InChannels = 1, InputSize = DensityData.ImageSide,
        Settings = ModelCard.SettingsOf(options),
    };

    /// <summary>Writes a closed-form model's checkpoint (<c>checkpoints/last.ckpt</c> in <paramref name="folder"/>) with its card.</summary>
    /// <returns>The checkpoint path.</returns>
    public static string Save(IDensityModel model, ModelCard card, string folder)
    {
        string path = Path.Combine(folder, "checkpoints", "last.ckpt");
        OutputFolder.Create(Path.GetDirectoryName(path)!);
        Checkpoint.Save(path, 1, model.Modules, metadata: new JsonObject { [ModelCard.MetadataKey] = card.ToJson() });
        return path;
    }

    /// <summary>Loads a density model from a checkpoint file or run folder.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Damaged, or not a density model (the message names the verb to use).</exception>
    public static (IDensityModel Model, ModelCard Card) Load(string checkpointOrRun, Device device)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.DensityModel);
        var method = All.FirstOrDefault(m => m.Name == card.Method)
            ?? throw new InvalidDataException($"{path}: unknown density model '{card.Method}' (known: {string.Join(", ", Names)})");
        return (method.Load(path, card, device), card);
    }
}
