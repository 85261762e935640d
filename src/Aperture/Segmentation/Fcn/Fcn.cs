using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Segmentation.Fcn;

/// <summary>
/// FCN-32s, FCN-16s and FCN-8s (Long, Shelhamer &amp; Darrell, "Fully convolutional networks for semantic segmentation",
/// CVPR 2015). A VGG-style classifier (five <see cref="ConvStage"/>s ending in pool1 … pool5, stride 32) made fully
/// convolutional: fc6 and fc7 become convolutions (fc6 k x k, fc7 1x1, ReLU and dropout after each), score_fr (1x1)
/// gives K class scores at stride 32. FCN-32s upsamples them 32x to the input. FCN-16s adds a 1x1 score layer on pool4,
/// sums it with score_fr upsampled 2x (upscore2) and upsamples the sum 16x; FCN-8s adds a score layer on pool3 the same
/// way (upscore_pool4) and upsamples 8x. As in the paper, the score layers start at zero (score_fr included: "random
/// initialisation yielded neither better performance nor faster convergence"), the 2x layers start as bilinear
/// upsampling and the final upsampling is fixed bilinear; <see cref="InitialiseFrom"/> is the paper's staged training
/// (32s → 16s → 8s, each finer net starting from the coarser one's weights).
/// <para>
/// Deliberate differences: convolutions pad 'same' (and the final upsampling repeats the edge,
/// <see cref="BilinearUpsample"/>), instead of the paper's 100-pixel input padding and crop layers, so for H, W multiples
/// of 32 every map is exactly H/2^b and no crop is needed; fc6 is <see cref="FcnOptions.Fc6Kernel"/> wide (3, not 7, for
/// 128-px inputs); the backbone is small, has batch norm and is trained from scratch instead of from ImageNet VGG-16.
/// </para>
/// <para>
/// Staged training starts each finer net from its coarser one's predictions, but not bit for bit: with the skip scores
/// at zero, FCN-16s outputs the 32s coarse scores upsampled 2x then 16x, where FCN-32s upsampled them 32x in one step.
/// Two bilinear steps equal one exactly where the coarse scores are linear between the sample points used (for each
/// axis, output pixels in the middle half between two neighbouring coarse-unit centres, away from the kinks at the
/// centres) and differ elsewhere, where the two-step path interpolates across a kink (tested).
/// </para>
/// </summary>
public sealed class Fcn : Module<Tensor, Tensor>, ISegmentationNetwork
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvStage stage1, stage2, stage3, stage4, stage5;
    private readonly Conv2d fc6, fc7, score_fr;
    private readonly Dropout drop6, drop7;
    private readonly Conv2d? score_pool4, score_pool3;
    private readonly Module<Tensor, Tensor>? upscore2, upscore_pool4;
    private readonly BilinearUpsample upscore;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">C, image channels (3 for the scenes).</param>
    /// <param name="numClasses">K, score channels including background (index 0).</param>
    /// <param name="options">Settings; null for the defaults (FCN-32s).</param>
    public Fcn(int inChannels, int numClasses, FcnOptions? options = null) : base("Fcn")
    {
        options ??= new FcnOptions();
        options.Validate();
        if (inChannels < 1) throw new ArgumentException($"FCN: input channels {inChannels} must be positive");
        if (numClasses < 2) throw new ArgumentException($"FCN: {numClasses} score channels; need background and at least one class");
        Options = options;
        InChannels = inChannels;
        NumClasses = numClasses;
        var w = options.Widths;
        bool bn = options.BatchNorm;
        stage1 = new ConvStage(1, inChannels, w[0], options.ConvsPerStage[0], pool: true, batchNorm: bn);
        stage2 = new ConvStage(2, w[0], w[1], options.ConvsPerStage[1], pool: true, batchNorm: bn);
        stage3 = new ConvStage(3, w[1], w[2], options.ConvsPerStage[2], pool: true, batchNorm: bn);
        stage4 = new ConvStage(4, w[2], w[3], options.ConvsPerStage[3], pool: true, batchNorm: bn);
        stage5 = new ConvStage(5, w[3], w[4], options.ConvsPerStage[4], pool: true, batchNorm: bn);
        fc6 = Conv2d(w[4], options.FcWidth, options.Fc6Kernel, padding: options.Fc6Kernel / 2);
        fc7 = Conv2d(options.FcWidth, options.FcWidth, 1);
        drop6 = Dropout(options.Dropout);
        drop7 = Dropout(options.Dropout);
        score_fr = ZeroScore(options.FcWidth, numClasses);
        if (options.OutputStride <= 16)
        {
            upscore2 = TwoX(numClasses, options.Upsampling);
            score_pool4 = ZeroScore(w[3], numClasses);
        }
        if (options.OutputStride <= 8)
        {
            upscore_pool4 = TwoX(numClasses, options.Upsampling);
            score_pool3 = ZeroScore(w[2], numClasses);
        }
        upscore = new BilinearUpsample(numClasses, options.OutputStride, learnable: false);
        RegisterComponents();
    }

    /// <summary>The settings the network was built with.</summary>
    public FcnOptions Options { get; }

    /// <summary>C, image channels.</summary>
    public int InChannels { get; }

    /// <summary>K, score channels including background.</summary>
    public int NumClasses { get; }

    /// <summary>32, 16 or 8.</summary>
    public int OutputStride => Options.OutputStride;

    /// <summary>Inputs must be multiples of 32 (five 2x2 poolings), whatever the output stride.</summary>
    public int InputMultiple => 32;

    /// <summary>Per-pixel scores (logits) <c>[N, K, H, W]</c> of normalised images <c>[N, C, H, W]</c>, H and W multiples of 32.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return upscore.forward(Scores(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The finest fused scores before the final upsampling: <c>[N, K, H/s, W/s]</c> for s = <see cref="OutputStride"/>
    /// (score_fr for 32s, fuse_pool4 for 16s, fuse_pool3 for 8s).
    /// </summary>
    public Tensor Scores(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != InChannels)
            throw new ArgumentException($"FCN expects images [N, {InChannels}, H, W], got [{string.Join(", ", x.shape)}]");
        if (x.shape[2] % InputMultiple != 0 || x.shape[3] % InputMultiple != 0)
            throw new ArgumentException($"FCN needs sides that are multiples of {InputMultiple}, got {x.shape[2]}x{x.shape[3]} (pad the image)");
        using var scope = NewDisposeScope();
        var pool3 = stage3.forward(stage2.forward(stage1.forward(ChannelsLast.Of(x))));
        var pool4 = stage4.forward(pool3);
        var pool5 = stage5.forward(pool4);
        var h = drop6.forward(functional.relu(fc6.forward(pool5)));
        h = drop7.forward(functional.relu(fc7.forward(h)));
        var s = score_fr.forward(h);
        if (upscore2 is not null) s = upscore2.forward(s).add(score_pool4!.forward(pool4));
        if (upscore_pool4 is not null) s = upscore_pool4.forward(s).add(score_pool3!.forward(pool3));
        return s.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Copies every parameter and buffer of a trained coarser FCN (32s into 16s or 8s, 16s into 8s: the paper's staged
    /// training) into this one; the layers only this net has keep their initialisation (skip scores zero, 2x layers
    /// bilinear), so it starts from the coarser net's predictions (see the class comment for how exactly).
    /// </summary>
    /// <exception cref="ArgumentException">The other net is not coarser, or its channels, classes or layer shapes differ.</exception>
    public void InitialiseFrom(Fcn coarser)
    {
        ArgumentNullException.ThrowIfNull(coarser);
        if (coarser.OutputStride <= OutputStride)
            throw new ArgumentException($"FCN-{OutputStride}s can start from a coarser net (larger stride), not from FCN-{coarser.OutputStride}s");
        if (coarser.InChannels != InChannels || coarser.NumClasses != NumClasses)
            throw new ArgumentException($"FCN-{coarser.OutputStride}s has {coarser.InChannels} input channels and {coarser.NumClasses} classes, this net {InChannels} and {NumClasses}");
        if (coarser.Options.Upsampling != Options.Upsampling && coarser.OutputStride < 32)
            throw new ArgumentException($"FCN-{coarser.OutputStride}s upsamples with {coarser.Options.Upsampling}, this net with {Options.Upsampling}");
        var mine = state_dict();
        var theirs = coarser.state_dict();
        foreach (var (key, value) in theirs)
        {
            if (!mine.TryGetValue(key, out var target))
                throw new ArgumentException($"FCN-{OutputStride}s has no '{key}' to receive FCN-{coarser.OutputStride}s's");
            if (!target.shape.SequenceEqual(value.shape))
                throw new ArgumentException($"'{key}' is [{string.Join(", ", value.shape)}] in FCN-{coarser.OutputStride}s and [{string.Join(", ", target.shape)}] here (different widths?)");
        }
        using (no_grad())
            foreach (var (key, value) in theirs) mine[key].copy_(value);
    }

    /// <summary>
    /// Receptive field of one output score along the deepest path: the conv stages, fc6, fc7 and score_fr, then each
    /// upsampling step (a 2x step adds one coarse unit per side, the 3x3 of upsample-then-convolve a little more).
    /// </summary>
    public ReceptiveField OutputField()
    {
        var rf = ReceptiveField.Input();
        foreach (var g in new[] { stage1, stage2, stage3, stage4, stage5 }.SelectMany(s => s.Geometry)) rf = rf.Then(g);
        rf = rf.Then(LayerGeometry.Conv("fc6", Options.Fc6Kernel, padding: Options.Fc6Kernel / 2))
               .Then(LayerGeometry.Conv("fc7", 1)).Then(LayerGeometry.Conv("score_fr", 1));
        if (upscore2 is not null) rf = TwoXField(rf, "upscore2");
        if (upscore_pool4 is not null) rf = TwoXField(rf, "upscore_pool4");
        return BilinearUpsample.Field(rf, OutputStride, "upscore");
    }

    private ReceptiveField TwoXField(ReceptiveField rf, string name) => Options.Upsampling == FcnUpsampling.UpsampleConvolve
        ? ResizeConvolution.Field(rf, 2, name)
        : BilinearUpsample.Field(rf, 2, name);

    private static Conv2d ZeroScore(int inChannels, int numClasses)
    {
        var conv = Conv2d(inChannels, numClasses, 1);
        using (no_grad()) { conv.weight!.zero_(); conv.bias!.zero_(); }
        return conv;
    }

    private static Module<Tensor, Tensor> TwoX(int k, FcnUpsampling kind) => kind switch
    {
        FcnUpsampling.Learned => new BilinearUpsample(k, 2, learnable: true),
        FcnUpsampling.FixedBilinear => new BilinearUpsample(k, 2, learnable: false),
        _ => new ResizeConvolution(k, 2),
    };
}
