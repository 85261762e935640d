namespace Aperture.Segmentation.Fcn;

/// <summary>How an FCN's in-network 2x upsampling layers (FCN-16s's upscore2; FCN-8s's upscore2 and upscore_pool4) work.
/// The final upsampling to the input's resolution is always fixed bilinear interpolation, as in the paper.</summary>
public enum FcnUpsampling
{
    /// <summary>The paper's text (Sec. 4.2): a learned transposed convolution initialised to bilinear upsampling.</summary>
    Learned,
    /// <summary>Fixed bilinear interpolation, as in the authors' released models (their deconvolutions have lr_mult 0).</summary>
    FixedBilinear,
    /// <summary>Upsample-then-convolve (Odena et al. 2016): bilinear resize then a learned 3x3 convolution initialised to the identity.</summary>
    UpsampleConvolve,
}
