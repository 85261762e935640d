using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Where R-CNN and Fast R-CNN get their object proposals: selective search
/// or anything else that maps an image to candidate boxes.
/// </summary>
public interface IProposalSource
{
    /// <summary>A short name that identifies the source and its settings, e.g. <c>ss-fast-2000</c>; proposal caches are keyed by it.</summary>
    string Name { get; }

    /// <summary>Candidate boxes <c>float32 [P, 4]</c> (x1, y1, x2, y2), best first, for an RGB image <c>uint8 [3, H, W]</c>.</summary>
    Tensor Propose(Tensor image);
}

/// <summary>A proposal source from a function, e.g. a user's own proposal method.</summary>
/// <param name="Name">Cache key of the source.</param>
/// <param name="Function">Image <c>uint8 [3, H, W]</c> to boxes <c>float32 [P, 4]</c>.</param>
public sealed record DelegateProposalSource(string Name, Func<Tensor, Tensor> Function) : IProposalSource
{
    /// <inheritdoc/>
    public Tensor Propose(Tensor image) => Function(image);
}
