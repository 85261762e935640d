namespace Aperture.Segmentation;

/// <summary>What a segmenter scored on a set of held-out images.</summary>
/// <param name="PixelAccuracy">Σ n_ii / Σ t_i.</param>
/// <param name="MeanAccuracy">Mean over classes of n_ii / t_i.</param>
/// <param name="MeanIoU">Mean over classes of the intersection over union.</param>
/// <param name="FrequencyWeightedIoU">IU weighted by class frequency.</param>
/// <param name="BoundaryF1">Boundary F1 (Csurka et al. 2013), mean over images.</param>
/// <param name="BoundaryTolerance">Its distance tolerance in pixels.</param>
/// <param name="PerClassIoU">IU per class, background first (null where undefined).</param>
/// <param name="MsPerImage">Inference time per image (padding and tiling included).</param>
/// <param name="Images">Images scored.</param>
public sealed record SegmentationScore(double PixelAccuracy, double MeanAccuracy, double MeanIoU, double FrequencyWeightedIoU, double BoundaryF1,
    double BoundaryTolerance, IReadOnlyList<double?> PerClassIoU, double MsPerImage, int Images);
