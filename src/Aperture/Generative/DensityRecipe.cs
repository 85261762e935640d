using Aperture.Core;

namespace Aperture.Generative;

/// <summary>How a density model is fitted: the trainer's settings (ignored by the closed-form models) and the
/// method's own options record.</summary>
/// <param name="Epochs">Epochs (trainable models).</param>
/// <param name="BatchSize">Mini-batch size (trainable models).</param>
/// <param name="LearningRate">Adam's learning rate (trainable models).</param>
/// <param name="Options">The method's options record (e.g. <see cref="PpcaOptions"/>).</param>
public sealed record DensityRecipe(int Epochs, int BatchSize, double LearningRate, object Options)
{
    /// <summary>
    /// The recipe with some of the method's options changed, each <c>name=value</c> with the option's snake_case name
    /// as in the model card (e.g. <c>components=250</c>, <c>decoder=bernoulli</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones) or a value of the wrong type.</exception>
    public DensityRecipe With(IEnumerable<string> assignments) => this with { Options = OptionAssignments.Apply(Options, assignments) };
}
