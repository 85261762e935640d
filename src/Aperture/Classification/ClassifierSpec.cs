using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>
/// What a trained classifier is: its architecture name, classes and input convention — the typed view of its
/// <see cref="ModelCard"/> (family <see cref="ModelFamily.Classifier"/>), which every checkpoint of the run carries, so
/// <c>eval</c> and <c>predict</c> rebuild the model from the file alone.
/// </summary>
/// <param name="Model">Architecture name, one of <see cref="Classifiers.Names"/>.</param>
/// <param name="ClassNames">Class names, indexed by label.</param>
/// <param name="InChannels">Input channels C.</param>
/// <param name="InputSize">Input side H = W in pixels.</param>
/// <param name="Mean">Mean subtracted from pixels in [0, 1].</param>
/// <param name="Std">Standard deviation the pixels are divided by.</param>
public sealed record ClassifierSpec(string Model, IReadOnlyList<string> ClassNames, int InChannels, int InputSize, float Mean, float Std)
{
    /// <summary>The spec as a model card.</summary>
    public ModelCard ToCard() => new()
    {
        Family = ModelFamily.Classifier, Method = Model, ClassNames = ClassNames, InChannels = InChannels, InputSize = InputSize,
        Mean = [Mean], Std = [Std],
    };

    /// <summary>The spec of a classifier's card.</summary>
    /// <exception cref="InvalidDataException">The card is not a classifier's, or is incomplete.</exception>
    public static ClassifierSpec FromCard(ModelCard card, string source)
    {
        if (card.Family != ModelFamily.Classifier)
            throw new InvalidDataException($"{source}: this is a {ModelFamily.Describe(card.Family)} ({card.Method}), not a classifier; use {ModelFamily.VerbsFor(card.Family)}");
        if (!Classifiers.Names.Contains(card.Method))
            throw new InvalidDataException($"{source}: unknown classifier '{card.Method}' (known: {string.Join(", ", Classifiers.Names)})");
        if (card.ClassNames.Count == 0 || card.InChannels < 1 || card.InputSize < 1 || card.Mean.Length != 1 || card.Std.Length != 1)
            throw new InvalidDataException($"{source}: the classifier card is incomplete (classes, channels, input size, mean and std are needed)");
        return new ClassifierSpec(card.Method, card.ClassNames, card.InChannels, card.InputSize, card.Mean[0], card.Std[0]);
    }

    /// <summary>Builds a fresh, untrained model of this architecture.</summary>
    public nn.Module<Tensor, Tensor> CreateModel() => Classifiers.Create(Model, ClassNames.Count, InChannels);

    /// <summary>Loads a trained classifier, in eval mode, from a checkpoint file or a run folder.</summary>
    /// <exception cref="InvalidDataException">Damaged, or not a classifier (the message names the verb to use).</exception>
    public static (nn.Module<Tensor, Tensor> Model, ClassifierSpec Spec) Load(string checkpointOrRun)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Classifier);
        var spec = FromCard(card, path);
        var model = spec.CreateModel();
        Checkpoint.LoadModule(path, model);
        model.eval();
        return (model, spec);
    }

    /// <summary>
    /// An image file as this model's input pixels <c>uint8 [C, S, S]</c>: decoded (grey by luma for one channel), resized
    /// by area averaging to the input size, optionally inverted (photos of dark items on a light ground; Fashion-MNIST
    /// items are light on black).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a readable image (the message names the file).</exception>
    public Tensor ReadImage(string path, bool invert = false)
    {
        using var scope = NewDisposeScope();
        var img = Imaging.ImageTensor.Read(path, grayscale: InChannels == 1).to_type(ScalarType.Float32);
        if (img.shape[0] != InChannels)
            throw new ArgumentException($"{path}: the model takes {InChannels}-channel images, the file has {img.shape[0]}");
        var x = nn.functional.interpolate(img.unsqueeze(0), new long[] { InputSize, InputSize }, mode: InterpolationMode.Area);
        if (invert) x = 255 - x;
        return x.round().clamp(0, 255).to_type(ScalarType.Byte)[0].MoveToOuterDisposeScope();
    }

    /// <summary>Turns <c>uint8 [N, C, H, W]</c> pixels into the model's normalised float input.</summary>
    public Tensor Normalize(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != InChannels)
            throw new ArgumentException($"expected images [N, {InChannels}, {InputSize}, {InputSize}], got [{string.Join(", ", images.shape)}]");
        return images.to_type(ScalarType.Float32).div(255).sub_(Mean).div_(Std);
    }
}
