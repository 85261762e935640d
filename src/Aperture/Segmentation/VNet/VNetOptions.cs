namespace Aperture.Segmentation.VNet;

/// <summary>The normalisation after each convolution of <see cref="VNetNetwork"/>.</summary>
public enum VolumeNormalization
{
    /// <summary>None, as in the paper (2016, before normalisation was usual in 3-D nets).</summary>
    None,

    /// <summary>Batch normalisation (what MONAI's V-Net uses).</summary>
    Batch,

    /// <summary>Instance normalisation (per volume and channel; nnU-Net's choice for small batches).</summary>
    Instance,
}

/// <summary>
/// V-Net's settings: the architecture (every number MONAI hard-codes is a field here) and how it is trained and applied.
/// Defaults are the paper's architecture: base width 16, four down-samplings (16, 32, 64, 128, 256 channels), 1, 2, 3,
/// 3, 3 convolutions per encoder stage (the decoder mirrors them: 3, 3, 2, 1), 5x5x5 kernels, PReLU, no normalisation,
/// no dropout; the run's recipe makes it smaller for a CPU.
/// </summary>
public sealed record VNetOptions : Core.IValidatable
{
    /// <summary>Channels of the first stage; stage l has BaseWidth·2^l (the paper: 16).</summary>
    public int BaseWidth { get; init; } = 16;

    /// <summary>Number of strided down-samplings (the paper: 4); inputs must be multiples of 2^Depth (the sliding window pads).</summary>
    public int Depth { get; init; } = 4;

    /// <summary>Convolutions in encoder stage 0..Depth; decoder stage l (l &lt; Depth) repeats encoder stage l's count (the paper: 1, 2, 3, 3, 3).</summary>
    public int[] ConvsPerStage { get; init; } = [1, 2, 3, 3, 3];

    /// <summary>Side of the cubic convolution kernels (the paper: 5), odd.</summary>
    public int KernelSize { get; init; } = 5;

    /// <summary>Normalisation after each convolution (the paper: none).</summary>
    public VolumeNormalization Normalization { get; init; } = VolumeNormalization.None;

    /// <summary>Channel dropout (Dropout3d) rate at the entry of the stages of the two deepest levels, encoder and decoder (0: none).</summary>
    public double Dropout { get; init; }

    /// <summary>Side of the cubic training patch (a multiple of 2^Depth); also the sliding window's tile.</summary>
    public int PatchSize { get; init; } = 32;

    /// <summary>Patches per mini-batch.</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>Random patches drawn from each training volume per epoch.</summary>
    public int PatchesPerVolume { get; init; } = 1;

    /// <summary>Flip training patches along each axis with probability 0.5 (the paper deforms and histogram-matches instead).</summary>
    public bool RandomFlips { get; init; } = true;

    /// <summary>Milletari's Σp² + Σg² Dice denominator (true, the paper's) or the plain Σp + Σg.</summary>
    public bool SquaredDice { get; init; } = true;

    /// <summary>Average the background's Dice term with the others in the loss (the softmax always covers every class).</summary>
    public bool DiceIncludesBackground { get; init; }

    /// <summary>Weight of a voxel-wise cross-entropy term added to the Dice loss (0: Dice alone, as in the paper).</summary>
    public double CrossEntropyWeight { get; init; }

    /// <summary>Fraction by which neighbouring sliding-window tiles overlap, in [0, 1).</summary>
    public double Overlap { get; init; } = 0.5;

    /// <summary>Weight tile predictions by a Gaussian centred on the tile (σ = side/8) when blending overlaps, instead of uniformly.</summary>
    public bool GaussianBlending { get; init; } = true;

    /// <summary>Tiles per forward pass in sliding-window inference (bounds the memory of activations).</summary>
    public int TilesPerBatch { get; init; } = 2;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"V-Net: {message}");
        }
        Check(BaseWidth is >= 1 and <= 512, $"base_width {BaseWidth} must be in 1..512");
        Check(Depth is >= 1 and <= 6, $"depth {Depth} must be in 1..6");
        Check(ConvsPerStage.Length == Depth + 1, $"convs_per_stage has {ConvsPerStage.Length} entries; depth {Depth} needs {Depth + 1} (stages 0..{Depth})");
        Check(ConvsPerStage.All(c => c is >= 1 and <= 8), $"convs_per_stage [{string.Join(", ", ConvsPerStage)}] must each be in 1..8");
        Check(KernelSize is >= 1 and <= 9 && KernelSize % 2 == 1, $"kernel_size {KernelSize} must be odd, 1..9");
        Check(Dropout is >= 0 and < 1, $"dropout {Dropout} must be in [0, 1)");
        int multiple = 1 << Depth;
        Check(PatchSize >= multiple && PatchSize % multiple == 0 && PatchSize <= 512, $"patch_size {PatchSize} must be a multiple of 2^depth = {multiple}, at most 512");
        Check(BatchSize is >= 1 and <= 256, $"batch_size {BatchSize} must be in 1..256");
        Check(PatchesPerVolume is >= 1 and <= 1000, $"patches_per_volume {PatchesPerVolume} must be in 1..1000");
        Check(CrossEntropyWeight >= 0 && double.IsFinite(CrossEntropyWeight), $"cross_entropy_weight {CrossEntropyWeight} must be >= 0");
        Check(Overlap is >= 0 and < 1, $"overlap {Overlap} must be in [0, 1)");
        Check(TilesPerBatch is >= 1 and <= 64, $"tiles_per_batch {TilesPerBatch} must be in 1..64");
    }

    /// <summary>Channels of encoder stages 0..Depth.</summary>
    public int[] Widths() => Enumerable.Range(0, Depth + 1).Select(l => BaseWidth << l).ToArray();
}
