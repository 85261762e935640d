namespace Aperture.Segmentation.UNet;

/// <summary>U-Net settings. The paper's network has depth 4 and base width 64 (64 … 1024 channels); the defaults here are
/// a CPU-sized U-Net with the same shape.</summary>
public sealed record UNetOptions : Core.IValidatable
{
    /// <summary>Number of 2x2 max-pool down-sampling steps (the paper: 4). Inputs are padded to multiples of 2^depth.</summary>
    public int Depth { get; init; } = 3;

    /// <summary>Channels of the first stage; each stage below doubles them (the paper: 64).</summary>
    public int BaseWidth { get; init; } = 16;

    /// <summary>Batch normalisation after every 3x3 convolution (not in the paper, which predates it; it makes the short
    /// CPU recipes train reliably). False gives the paper's conv–ReLU pairs.</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>Dropout before the bottom stage's output (the paper: "drop-out layers at the end of the contracting path"); 0 for none.</summary>
    public double Dropout { get; init; }

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Depth is < 1 or > 6) throw new ArgumentException($"U-Net: depth {Depth} must be between 1 and 6");
        if (BaseWidth is < 1 or > 1024) throw new ArgumentException($"U-Net: base width {BaseWidth} must be between 1 and 1024");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"U-Net: dropout {Dropout} must be in [0, 1)");
    }
}
