namespace Aperture.Detection.FastRcnn;

/// <summary>Fast R-CNN settings; the defaults are the paper's where it gives one.</summary>
public sealed record FastRcnnOptions : Core.IValidatable
{
    /// <summary>RoI pooling output side (7).</summary>
    public int PoolSize { get; init; } = 7;

    /// <summary>Width of fc6 and fc7.</summary>
    public int HiddenSize { get; init; } = 256;

    /// <summary>
    /// Pool RoIs with RoI Align (He et al., Mask R-CNN, 2017: bilinear samples, no rounding) rather than the paper's RoI max
    /// pooling (false). A deliberate difference, on by default: on the scenes' small items (median 47 px, a 12-cell RoI at
    /// stride 4) the paper's rounding to whole cells costs accuracy — with the same pre-trained body and 8 epochs, test VOC
    /// mAP@0.5 0.708 against 0.666 with max pooling, COCO mAP 0.483 against 0.430 (README, Detection).
    /// </summary>
    public bool RoiAlign { get; init; } = true;

    /// <summary>
    /// Leading stages of a pre-trained body held fixed while fine-tuning (<see cref="Nn.Backbone.Freeze"/>): 2, conv1 and
    /// conv2, as the paper fine-tunes VGG-16 from conv3_1 up (section 4.5, "which layers to fine-tune?"). With the shipped
    /// body on the default scenes it scored as fine-tuning every layer did (test VOC mAP@0.5 0.777 against 0.778) and
    /// trained an epoch in 85 s against 115 (README, Detection). Ignored when the body starts from scratch.
    /// </summary>
    public int FrozenStages { get; init; } = 2;

    /// <summary>Images per mini-batch (2).</summary>
    public int ImagesPerBatch { get; init; } = 2;

    /// <summary>RoIs sampled per image (64, so 128 per mini-batch).</summary>
    public int RoisPerImage { get; init; } = 64;

    /// <summary>Fraction of foreground RoIs (0.25).</summary>
    public double ForegroundFraction { get; init; } = 0.25;

    /// <summary>IoU making a RoI foreground (0.5).</summary>
    public double ForegroundIou { get; init; } = 0.5;

    /// <summary>Lowest IoU of a background RoI (0.1).</summary>
    public double BackgroundIouLow { get; init; } = 0.1;

    /// <summary>Highest IoU of a background RoI, exclusive (0.5).</summary>
    public double BackgroundIouHigh { get; init; } = 0.5;

    /// <summary>Weight λ of the smooth-L1 box loss (1).</summary>
    public double BoxLossWeight { get; init; } = 1;

    /// <summary>Flip training images horizontally with probability 0.5 (the paper's only augmentation).</summary>
    public bool HorizontalFlip { get; init; } = true;

    /// <summary>
    /// Test-time augmentation, off by default as in the paper (and Detectron2): also run the horizontally mirrored image
    /// (one batch with the first) and average the two passes' class probabilities and (mirrored back) boxes for every
    /// proposal. On every detector measured it added 0.010–0.018 test VOC mAP@0.5 and about 0.02 COCO mAP (paired, same
    /// weights) for twice the time per image, and so took Fast R-CNN under issue 13's "20x faster than R-CNN" (15x with
    /// it, 25x without, in one benchmark run; README, Detection). Training's per-epoch validation always scores one pass. (Detectron2's flip
    /// TTA instead pools the two passes' detections before NMS; with the proposals shared, averaging each one's outputs
    /// is the direct form.)
    /// </summary>
    public bool TestFlip { get; init; }

    /// <summary>
    /// Test time: fc6 compressed by truncated SVD to its 96 largest singular values (<see cref="Nn.TruncatedLinear"/>), the
    /// paper's section 3.1 (it keeps 1,024 of VGG-16's 4,096); 0 keeps the layer whole. fc6 holds nearly all of the head's
    /// multiply-adds (6,272 x 256 per RoI); at rank 96 the head costs 40% of that. On the default run's validation scenes
    /// VOC mAP@0.5 0.7890 against 0.7901 whole (128: 0.7900, 64: 0.7862), test 0.7870 against 0.7868, for 23 ms per image
    /// against 36 (README, Detection). 0, or a rank at or above the hidden size, keeps the layer whole. Training is
    /// unaffected: the compressed copy is made when a detector is built.
    /// </summary>
    public int SvdRankFc6 { get; init; } = 96;

    /// <summary>
    /// Test time: the same for fc7 (0, whole: at 256 x 256 it costs 4% of fc6 here; the paper keeps 256 of 4,096).
    /// </summary>
    public int SvdRankFc7 { get; init; }

    /// <summary>Most proposals scored per test image.</summary>
    public int TestProposals { get; init; } = 2000;

    /// <summary>Lowest class probability kept at test time.</summary>
    public double ScoreThreshold { get; init; } = 0.01;

    /// <summary>Per-class NMS IoU at test time (0.3).</summary>
    public double NmsIou { get; init; } = 0.3;

    /// <summary>Most detections per image.</summary>
    public int MaxDetections { get; init; } = 100;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (PoolSize < 1 || HiddenSize < 1) throw new ArgumentException("Fast R-CNN: pool size and hidden size must be positive");
        if (FrozenStages is < 0 or > 3) throw new ArgumentException($"Fast R-CNN: frozen stages {FrozenStages} must be 0 to 3 (the body has three)");
        if (ImagesPerBatch < 1 || RoisPerImage < 1) throw new ArgumentException("Fast R-CNN: images per batch and RoIs per image must be positive");
        if (ForegroundFraction is < 0 or > 1) throw new ArgumentException($"Fast R-CNN: foreground fraction {ForegroundFraction} must be in [0, 1]");
        if (SvdRankFc6 < 0 || SvdRankFc7 < 0) throw new ArgumentException($"Fast R-CNN: SVD ranks {SvdRankFc6} and {SvdRankFc7} must be >= 0 (0: whole)");
        if (!(BackgroundIouLow <= BackgroundIouHigh && BackgroundIouHigh <= ForegroundIou)) throw new ArgumentException("Fast R-CNN: need background low <= background high <= foreground IoU");
    }
}
