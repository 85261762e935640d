namespace Aperture.Segmentation.Dilated;

/// <summary>
/// Settings of the dilated network (<see cref="DilatedNetwork"/>). The defaults are a small VGG (widths 16 … 128, two
/// convolutions per stage, batch norm) that trains from scratch in a few minutes on two CPU cores on 128x128 scenes;
/// the paper's front end is VGG-16 (2-2-3-3-3 convolutions, 4096-wide 7x7 fc6) from ImageNet weights.
/// </summary>
public sealed record DilatedOptions : Core.IValidatable
{
    /// <summary>Channels of the five conv stages (only the first three end in pooling).</summary>
    public int[] Widths { get; init; } = { 16, 32, 64, 128, 128 };

    /// <summary>3x3 convolutions per stage (VGG-16: 2, 2, 3, 3, 3).</summary>
    public int[] ConvsPerStage { get; init; } = { 2, 2, 2, 2, 2 };

    /// <summary>Side of fc6 (odd; dilated by 4, 'same' padding). 7 in the paper; 3 by default for 128-px inputs (a 16x16 stride-8 map).</summary>
    public int Fc6Kernel { get; init; } = 3;

    /// <summary>Channels of fc6 and fc7 (4096 in the paper).</summary>
    public int FcWidth { get; init; } = 256;

    /// <summary>Dropout probability after fc6 and fc7 (0.5 in the paper; lower by default for a short run from scratch).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Batch normalisation after every conv-stage convolution (not in the paper).</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>Put the context module on the front end (false: the front end alone).</summary>
    public bool ContextModule { get; init; } = true;

    /// <summary>
    /// Dilations of the context module's 3x3 layers, each followed by ReLU, before its final 1x1 layer: the basic module
    /// of the paper's Table 1 is 1, 1, 2, 4, 8, 16, 1 (fields 3, 5, 9, 17, 33, 65, 67 on the stride-8 map). It was sized
    /// for 64x64 maps (500-px VOC images); 128-px scenes give 16x16 maps, where the dilation-16 layer's outer taps always
    /// fall in the zero padding (only its centre tap sees the map) — kept for fidelity; drop it for small inputs.
    /// </summary>
    public int[] ContextDilations { get; init; } = { 1, 1, 2, 4, 8, 16, 1 };

    /// <summary>
    /// Output channels of the context module's 3x3 layers as multiples of K, one per dilation, e.g.
    /// <c>[2, 2, 4, 8, 16, 32, 32]</c> for the paper's large module (Table 1); empty (the default) is its basic module,
    /// K channels in every layer.
    /// </summary>
    public int[] ContextWidths { get; init; } = [];

    /// <summary>
    /// Keep the front end fixed (no gradients, batch norm in inference mode) while the context module trains on its
    /// scores, as in the paper; false trains both jointly.
    /// </summary>
    public bool FreezeFrontEnd { get; init; } = true;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Widths is null || Widths.Length != 5 || Widths.Any(w => w < 1))
            throw new ArgumentException($"dilated: widths [{string.Join(", ", Widths ?? Array.Empty<int>())}] must be five positive numbers");
        if (ConvsPerStage is null || ConvsPerStage.Length != 5 || ConvsPerStage.Any(n => n < 1))
            throw new ArgumentException($"dilated: convolutions per stage [{string.Join(", ", ConvsPerStage ?? Array.Empty<int>())}] must be five numbers ≥ 1");
        if (Fc6Kernel < 1 || Fc6Kernel % 2 == 0) throw new ArgumentException($"dilated: fc6 kernel {Fc6Kernel} must be odd and positive");
        if (FcWidth < 1) throw new ArgumentException($"dilated: fc width {FcWidth} must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"dilated: dropout {Dropout} must be in [0, 1)");
        if (ContextDilations is null || ContextDilations.Length < 1 || ContextDilations.Any(d => d < 1))
            throw new ArgumentException($"dilated: context dilations [{string.Join(", ", ContextDilations ?? Array.Empty<int>())}] must be one or more numbers ≥ 1");
        if (ContextWidths is null || (ContextWidths.Length != 0 && ContextWidths.Length != ContextDilations.Length) || ContextWidths.Any(m => m < 1))
            throw new ArgumentException($"dilated: context widths [{string.Join(", ", ContextWidths ?? Array.Empty<int>())}] must be one multiple ≥ 1 per context dilation ({ContextDilations.Length}), e.g. [2, 2, 4, 8, 16, 32, 32] for the paper's large module");
    }
}
