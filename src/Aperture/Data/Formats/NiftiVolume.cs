using static TorchSharp.torch;

namespace Aperture.Data.Formats;

/// <summary>A volume read from a NIfTI-1 file: its voxels and the header they came with (the affine among it).</summary>
/// <param name="Data">Voxels <c>[D, H, W]</c> = NIfTI's <c>[k, j, i]</c> (i = dim[1] varies fastest in the file, so it
/// is the last axis here): the file's own type, or float32 (float64 for float64 data) when scl_slope/scl_inter
/// scaled the values. A 2-D file gives <c>[1, H, W]</c>.</param>
/// <param name="Header">The header as read (its scaling fields say what was applied; <see cref="NiftiHeader.Affine"/> maps
/// (i, j, k) = (w, h, d) indices to world coordinates).</param>
public sealed record NiftiVolume(Tensor Data, NiftiHeader Header) : IDisposable
{
    /// <summary>The voxel-to-world affine, 4x4 row-major (see <see cref="NiftiHeader.Affine"/>).</summary>
    public double[,] Affine => Header.Affine();

    /// <summary>Frees the voxels.</summary>
    public void Dispose() => Data.Dispose();
}
