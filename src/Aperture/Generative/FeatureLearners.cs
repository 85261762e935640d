using TorchSharp;
using Aperture.Core;
using Aperture.Generative.AutoEncoders;
using Aperture.Generative.ContextEncoders;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>Which network a feature learner trains.</summary>
public enum FeatureLearnerKind
{
    /// <summary><see cref="ConvAutoEncoder"/> with <see cref="AutoEncoderOptions"/>.</summary>
    AutoEncoder,

    /// <summary><see cref="ContextEncoderNetwork"/> with <see cref="ContextEncoderOptions"/>.</summary>
    ContextEncoder,
}

/// <summary>A feature learner in the registry: its CLI name, what it is, its network and default options.</summary>
/// <param name="Name">Name for <c>--model</c>.</param>
/// <param name="Description">One line for the help, naming the paper.</param>
/// <param name="Kind">Which network.</param>
/// <param name="DefaultOptions">Its options record with the method's defaults.</param>
public sealed record FeatureLearner(string Name, string Description, FeatureLearnerKind Kind, IValidatable DefaultOptions)
{
    /// <summary>The options record type.</summary>
    public Type OptionsType => DefaultOptions.GetType();
}

/// <summary>
/// The feature learners of "learning without labels": auto-encoders (<c>aperture train autoencoder</c>) and context
/// encoders (<c>aperture train context-encoder</c>), one line each, and loading their trained encoders back for
/// <c>aperture transfer</c>. They share <see cref="ConvEncoder"/>, so transfer compares what was learned.
/// </summary>
public static class FeatureLearners
{
    /// <summary>All methods.</summary>
    public static IReadOnlyList<FeatureLearner> All { get; } =
    [
        new("ae", "bottleneck convolutional auto-encoder (Hinton & Salakhutdinov 2006; Masci et al. 2011)", FeatureLearnerKind.AutoEncoder, new AutoEncoderOptions()),
        new("dae", "denoising auto-encoder, masking noise 25% (Vincent et al. 2008)", FeatureLearnerKind.AutoEncoder, new AutoEncoderOptions { Noise = NoiseKind.Masking }),
        new("context-encoder", "context encoder, L2 + adversarial loss, λ_adv = 0.001 (Pathak et al. 2016)", FeatureLearnerKind.ContextEncoder, new ContextEncoderOptions()),
        new("context-l2", "context encoder trained with L2 alone (Pathak et al. 2016's comparison)", FeatureLearnerKind.ContextEncoder, new ContextEncoderOptions { AdversarialWeight = 0 }),
    ];

    /// <summary>The names of the methods of <paramref name="kind"/>.</summary>
    public static IReadOnlyList<string> Names(FeatureLearnerKind kind) => All.Where(m => m.Kind == kind).Select(m => m.Name).ToList();

    /// <summary>The method called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such method (the message lists them).</exception>
    public static FeatureLearner Find(string name) => All.FirstOrDefault(m => m.Name == name?.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"feature learner '{name}' is not one of: {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>The card of a feature learner's checkpoint.</summary>
    public static ModelCard Card(FeatureLearner method, IReadOnlyList<string> classNames, int width, object options) => new()
    {
        Family = ModelFamily.Encoder, Method = method.Name, ClassNames = classNames.ToList(), InChannels = 1, InputSize = 28,
        Mean = [0.5f], Std = [0.5f], Widths = [width, 2 * width], Settings = ModelCard.SettingsOf(options),
    };

    /// <summary>Opens a trained feature learner (run folder or checkpoint; a folder gives its best checkpoint).</summary>
    /// <returns>The checkpoint, its card, the method and its validated options.</returns>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Not a feature learner, an unknown one, or edited settings.</exception>
    public static (string Checkpoint, ModelCard Card, FeatureLearner Method, IValidatable Options) Open(string checkpointOrRun)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Encoder);
        var method = All.FirstOrDefault(m => m.Name == card.Method)
            ?? throw new InvalidDataException($"{path}: unknown feature learner '{card.Method}' (known: {string.Join(", ", All.Select(m => m.Name))})");
        var options = (IValidatable)card.SettingsAs(method.OptionsType);
        try { options.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: the {method.Name} settings are invalid ({e.Message}); the header was edited or damaged"); }
        return (path, card, method, options);
    }

    /// <summary>Loads the trained auto-encoder of a run, in eval mode.</summary>
    /// <exception cref="InvalidDataException">Not an auto-encoder run (the message says which verb takes it).</exception>
    public static (ConvAutoEncoder Model, ModelCard Card) LoadAutoEncoder(string checkpointOrRun, Device device)
    {
        var (path, card, method, options) = Open(checkpointOrRun);
        if (method.Kind != FeatureLearnerKind.AutoEncoder) throw new InvalidDataException($"{path}: {method.Name} is a context encoder, not an auto-encoder");
        var model = new ConvAutoEncoder((AutoEncoderOptions)options);
        Checkpoint.LoadModule(path, model);
        model.to(device).eval();
        return (model, card);
    }

    /// <summary>Loads the trained context encoder of a run, in eval mode.</summary>
    /// <exception cref="InvalidDataException">Not a context-encoder run.</exception>
    public static (ContextEncoderNetwork Model, ContextEncoderOptions Options, ModelCard Card) LoadContextEncoder(string checkpointOrRun, Device device)
    {
        var (path, card, method, options) = Open(checkpointOrRun);
        if (method.Kind != FeatureLearnerKind.ContextEncoder)
            throw new InvalidDataException($"{path}: {method.Name} is an auto-encoder, not a context encoder; 'aperture inpaint' needs a run of 'train context-encoder'");
        var model = new ContextEncoderNetwork((ContextEncoderOptions)options);
        Checkpoint.LoadModule(path, model);
        model.to(device).eval();
        return (model, (ContextEncoderOptions)options, card);
    }

    /// <summary>Loads the encoder of any trained feature learner (what <c>aperture transfer</c> reuses), in eval mode.</summary>
    public static (ConvEncoder Encoder, ModelCard Card) LoadEncoder(string checkpointOrRun, Device device)
    {
        var (_, _, method, _) = Open(checkpointOrRun);
        if (method.Kind == FeatureLearnerKind.AutoEncoder)
        {
            var (ae, card) = LoadAutoEncoder(checkpointOrRun, device);
            return (ae.Encoder, card);
        }
        var (ce, _, ceCard) = LoadContextEncoder(checkpointOrRun, device);
        return (ce.Encoder, ceCard);
    }
}
