namespace Aperture.Classification;

/// <summary>What <c>aperture predict</c> reports for one image file: its top classes (<see cref="ClassifierEvaluation.TopK"/>).</summary>
/// <param name="Image">The image file, as given.</param>
/// <param name="Top">The most probable classes, most probable first.</param>
public sealed record ImagePrediction(string Image, IReadOnlyList<ClassProbability> Top);
