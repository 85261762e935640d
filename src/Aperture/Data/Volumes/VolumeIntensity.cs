using static TorchSharp.torch;

namespace Aperture.Data.Volumes;

/// <summary>Intensity normalisation of volumes before a network sees them.</summary>
public static class VolumeIntensity
{
    /// <summary>
    /// Per-volume standardisation (z-score): (x − mean) / std over all voxels, std floored at 1e-6 so a constant
    /// volume becomes zeros. MRI intensities have no absolute scale, so each volume is normalised by itself (as
    /// Milletari et al. and nnU-Net do); the same function runs at training and inference.
    /// </summary>
    /// <param name="volume">Intensities, any shape (e.g. <c>[D, H, W]</c>), any numeric type.</param>
    /// <returns><c>float32</c> of the same shape.</returns>
    public static Tensor Standardize(Tensor volume)
    {
        using var scope = NewDisposeScope();
        var x = volume.to_type(ScalarType.Float32);
        var std = x.std().clamp_min(1e-6f);
        return x.sub(x.mean()).div(std).MoveToOuterDisposeScope();
    }
}
