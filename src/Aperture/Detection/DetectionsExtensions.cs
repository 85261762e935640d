using static TorchSharp.torch;

namespace Aperture.Detection;

internal static class DetectionsExtensions
{
    /// <summary>Moves the three tensors out of the current dispose scope.</summary>
    public static ImageDetections Move(this ImageDetections d) =>
        new(d.Boxes.MoveToOuterDisposeScope(), d.Scores.MoveToOuterDisposeScope(), d.Labels.MoveToOuterDisposeScope());
}
