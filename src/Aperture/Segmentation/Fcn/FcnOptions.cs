namespace Aperture.Segmentation.Fcn;

/// <summary>
/// FCN settings. The defaults are a small VGG (five stages, widths 16 … 128, two convolutions each, batch norm) that
/// trains from scratch in a few minutes on two CPU cores on 128x128 scenes; the paper's is VGG-16 (64 … 512, 2-2-3-3-3
/// convolutions, no batch norm, ImageNet weights) with 4096-wide fc6/fc7.
/// </summary>
public sealed record FcnOptions : Core.IValidatable
{
    /// <summary>Output stride of the finest prediction: 32 (FCN-32s), 16 (FCN-16s, + pool4 skip) or 8 (FCN-8s, + pool3 skip).</summary>
    public int OutputStride { get; init; } = 32;

    /// <summary>Channels of the five conv stages (each ends in 2x2 max pooling: pool1 … pool5).</summary>
    public int[] Widths { get; init; } = { 16, 32, 64, 128, 128 };

    /// <summary>3x3 convolutions per stage (VGG-16: 2, 2, 3, 3, 3).</summary>
    public int[] ConvsPerStage { get; init; } = { 2, 2, 2, 2, 2 };

    /// <summary>
    /// Side of fc6 as a convolution on pool5 (odd, 'same' padding). VGG's fc6 is 7x7 on a 7x7 pool5 (224-px input); our
    /// 128-px scenes give a 4x4 pool5, so the default is 3 (a 7x7 kernel would see mostly padding there).
    /// </summary>
    public int Fc6Kernel { get; init; } = 3;

    /// <summary>Channels of fc6 and fc7 (4096 in VGG-16).</summary>
    public int FcWidth { get; init; } = 256;

    /// <summary>Dropout probability after fc6 and fc7 (0.5 in the paper; lower by default for a short run from scratch).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Batch normalisation after every conv-stage convolution (not in the paper, which starts from trained VGG-16 weights).</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>How the in-network 2x upsampling layers work (the final upsampling is fixed bilinear).</summary>
    public FcnUpsampling Upsampling { get; init; } = FcnUpsampling.Learned;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (OutputStride is not (32 or 16 or 8)) throw new ArgumentException($"FCN: output stride {OutputStride} must be 32, 16 or 8");
        if (Widths is null || Widths.Length != 5 || Widths.Any(w => w < 1))
            throw new ArgumentException($"FCN: widths [{string.Join(", ", Widths ?? Array.Empty<int>())}] must be five positive numbers");
        if (ConvsPerStage is null || ConvsPerStage.Length != 5 || ConvsPerStage.Any(n => n < 1))
            throw new ArgumentException($"FCN: convolutions per stage [{string.Join(", ", ConvsPerStage ?? Array.Empty<int>())}] must be five numbers ≥ 1");
        if (Fc6Kernel < 1 || Fc6Kernel % 2 == 0) throw new ArgumentException($"FCN: fc6 kernel {Fc6Kernel} must be odd and positive");
        if (FcWidth < 1) throw new ArgumentException($"FCN: fc width {FcWidth} must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"FCN: dropout {Dropout} must be in [0, 1)");
        if (!Enum.IsDefined(Upsampling)) throw new ArgumentException($"FCN: unknown upsampling {Upsampling}");
    }
}
