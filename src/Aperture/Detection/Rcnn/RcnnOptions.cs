namespace Aperture.Detection.Rcnn;

/// <summary>R-CNN settings; the defaults follow the paper scaled to 128-px scenes.</summary>
public sealed record RcnnOptions : Core.IValidatable
{
    /// <summary>
    /// Side of the warped region (the paper's 227, here 48: with <see cref="ContextPadding"/> the object fills 40 px, a
    /// little above Fashion-MNIST's 28, five cells of the body's stride-8 map).
    /// </summary>
    public int WarpSize { get; init; } = 48;

    /// <summary>
    /// Pixels of context around the box in the warped frame: 4 of 48, the paper's share (16 of 227, 7%). Padding 16 in a
    /// 64-px warp (25%) filled half the crop with neighbours, took 2.1x the time per crop and fine-tuned worse.
    /// </summary>
    public int ContextPadding { get; init; } = 4;

    /// <summary>Max-pooled grid side before the fully connected layers.</summary>
    public int PoolSize { get; init; } = 7;

    /// <summary>Width of fc6 and fc7 (the feature length).</summary>
    public int HiddenSize { get; init; } = 256;

    /// <summary>Fine-tuning: regions sampled per image.</summary>
    public int RegionsPerImage { get; init; } = 32;

    /// <summary>Fine-tuning: images per mini-batch (4 x 32 = the paper's 128 regions).</summary>
    public int ImagesPerBatch { get; init; } = 4;

    /// <summary>Fine-tuning: fraction of foreground regions (32 of 128 in the paper).</summary>
    public double ForegroundFraction { get; init; } = 0.25;

    /// <summary>Fine-tuning: IoU making a region a positive of its ground-truth class (0.5); the rest are background.</summary>
    public double ForegroundIou { get; init; } = 0.5;

    /// <summary>SVMs: number of training images whose regions are mined (0: all of them, as in the paper).</summary>
    public int SvmImages { get; init; }

    /// <summary>SVMs: proposals per image (randomly chosen) whose features enter the negative pool (0: all of them, as in
    /// the paper, whose hard-negative mining runs over every proposal of every training image).</summary>
    public int SvmProposalsPerImage { get; init; }

    /// <summary>SVMs: a proposal is a negative of a class when its IoU with every box of that class is below this (0.3).</summary>
    public double NegativeIou { get; init; } = 0.3;

    /// <summary>SVM training settings.</summary>
    public SvmOptions Svm { get; init; } = new();

    /// <summary>Box regression: proposals with IoU ≥ this with a ground-truth box train its class's regressor (0.6).</summary>
    public double RegressionIou { get; init; } = 0.6;

    /// <summary>Box regression: ridge penalty λ.</summary>
    public double RegressionLambda { get; init; } = 1000;

    /// <summary>Most proposals scored per test image.</summary>
    public int TestProposals { get; init; } = 2000;

    /// <summary>
    /// Lowest SVM score kept at test time (−2: a margin's width below the SVMs' margin of −1). Average precision counts
    /// the ranked tail, which a cut at the margin threw away: on one trained run, −1 scored 0.651 VOC mAP@0.5 and −1.5,
    /// −2 or none 0.668 (at most <see cref="MaxDetections"/> per image either way).
    /// </summary>
    public double ScoreThreshold { get; init; } = -2.0;

    /// <summary>Per-class NMS IoU (0.3).</summary>
    public double NmsIou { get; init; } = 0.3;

    /// <summary>Most detections per image.</summary>
    public int MaxDetections { get; init; } = 100;

    /// <summary>Warped regions per forward pass.</summary>
    public int CropBatch { get; init; } = 256;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (WarpSize < 8 || ContextPadding < 0 || 2 * ContextPadding >= WarpSize) throw new ArgumentException($"R-CNN: warp size {WarpSize} and padding {ContextPadding} need size >= 8 and size > 2·padding");
        if (RegionsPerImage < 1 || ImagesPerBatch < 1 || CropBatch < 1) throw new ArgumentException("R-CNN: regions per image, images per batch and crop batch must be positive");
        if (SvmImages < 0 || SvmProposalsPerImage < 0) throw new ArgumentException("R-CNN: SVM images and proposals per image must be >= 0 (0: all)");
    }
}
