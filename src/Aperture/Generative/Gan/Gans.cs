using Aperture.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>A GAN in the registry: its CLI name, what it is, and how its options start.</summary>
/// <param name="Name">Name for <c>--model</c>.</param>
/// <param name="Description">One line for the help.</param>
/// <param name="Conditional">Whether it is class-conditional.</param>
public sealed record GanMethod(string Name, string Description, bool Conditional)
{
    /// <summary>The method's default options.</summary>
    public GanOptions DefaultOptions => new() { Conditional = Conditional };
}

/// <summary>The GANs <c>aperture train gan</c> trains, and loading a trained one back from its run folder.</summary>
public static class Gans
{
    /// <summary>All methods.</summary>
    public static IReadOnlyList<GanMethod> All { get; } =
    [
        new("dcgan", "DCGAN (Radford et al. 2016): unconditional, z -> 28x28 image", Conditional: false),
        new("cgan", "class-conditional DCGAN (Mirza & Osindero 2014): the label joined to z and to the discriminator's input", Conditional: true),
    ];

    /// <summary>The method names.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToList();

    /// <summary>The method called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such method (the message lists them).</exception>
    public static GanMethod Find(string name) => All.FirstOrDefault(m => m.Name == name?.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"GAN '{name}' is not one of: {string.Join(", ", Names)}");

    /// <summary>Loads the generator of a trained GAN (its moving average when the run kept one), in eval mode.</summary>
    /// <param name="checkpointOrRun">A run folder of <c>aperture train gan</c> or one of its checkpoints (a folder
    /// gives <c>checkpoints/last.ckpt</c>: a GAN's "best" epoch by loss means little).</param>
    /// <param name="device">Where to put it.</param>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Not a GAN checkpoint, or damaged.</exception>
    public static (GanSampler Sampler, ModelCard Card) Load(string checkpointOrRun, Device device)
    {
        string last = Path.Combine(checkpointOrRun, "checkpoints", "last.ckpt");
        string path = Directory.Exists(checkpointOrRun) && File.Exists(last) ? last : RunFolder.Checkpoint(checkpointOrRun);
        var card = ModelCard.Expect(path, ModelFamily.Gan);
        var options = card.SettingsAs<GanOptions>();
        try { options.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: the GAN's settings are invalid ({e.Message}); the header was edited or damaged"); }
        int classes = card.ClassNames.Count;
        var generator = new DcganGenerator(options, classes);
        if (options.EmaDecay > 0)
        {
            var average = new GeneratorAverage(options, classes, generator);
            Checkpoint.LoadModule(path, average, "generator_ema");
            generator = average.Generator;
        }
        else Checkpoint.LoadModule(path, generator, "generator");
        generator.to(device);
        generator.eval();
        return (new GanSampler(generator, card.ClassNames), card);
    }
}
