using Aperture.Nn;

namespace Aperture.Segmentation;

/// <summary>
/// What every 2-D segmentation network (a <c>Module&lt;Tensor, Tensor&gt;</c>) adds to its forward pass, which maps
/// normalised images <c>[N, C, H, W]</c> (float32) to per-pixel class scores (logits) <c>[N, K, H, W]</c> at the
/// input's resolution, K = classes + 1 with background at index 0. The segmentation run relies on these two members
/// and nothing else, so a new network is a module that implements them and one registry line.
/// </summary>
public interface ISegmentationNetwork
{
    /// <summary>
    /// Input sides must be multiples of this (32 for FCN, 2^depth for U-Net, 1 for the per-pixel window); the run pads
    /// other sizes up (reflect) and crops the scores back, so users never see a "must be divisible" error.
    /// </summary>
    int InputMultiple { get; }

    /// <summary>
    /// The receptive field of one output score, in input pixels, along the network's deepest path (the one that sees
    /// the most context): the lecture's context-versus-boundaries trade-off is this number beside boundary F1.
    /// </summary>
    ReceptiveField OutputField();
}
