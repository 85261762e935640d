using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Segmentation.Dilated;

/// <summary>
/// The dilated-convolution network of Yu &amp; Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR
/// 2016. Front end: a VGG-style classifier (five <see cref="ConvStage"/>s) with its last two poolings removed and the
/// layers after each removed pooling dilated by the stride it would have added (conv5 by 2, fc6 by 4), so it keeps
/// stride 8 instead of 32 with the same receptive fields; fc6, fc7 (1x1) and a 1x1 score layer give K scores at stride
/// 8, upsampled 8x bilinearly to the input. With <see cref="DilatedOptions.ContextModule"/> the
/// <see cref="ContextModule"/> (identity-initialised) sits on those stride-8 scores, before the upsampling; the paper
/// trains it on a trained front end (<see cref="InitialiseFrom"/>, front end frozen by default).
/// <para>
/// Deliberate differences: convolutions pad 'same' (the paper pads the input by reflection and uses none inside), fc6
/// is <see cref="DilatedOptions.Fc6Kernel"/> wide (3 rather than 7 by default, for 128-px inputs), the backbone is small,
/// has batch norm and is trained from scratch; the upsampling repeats the edge (<see cref="BilinearUpsample"/>); the
/// context module shifts its input (see <see cref="ContextModule"/>).
/// </para>
/// </summary>
public sealed class DilatedNetwork : Module<Tensor, Tensor>, ISegmentationNetwork
{
    /// <summary>Output stride of the front end's scores.</summary>
    public const int Stride = 8;

#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvStage stage1, stage2, stage3, stage4, stage5;
    private readonly Conv2d fc6, fc7, final;
    private readonly Dropout drop6, drop7;
    private readonly ContextModule? context;
    private readonly BilinearUpsample upsample;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">C, image channels (3 for the scenes).</param>
    /// <param name="numClasses">K, score channels including background (index 0).</param>
    /// <param name="options">Settings; null for the defaults (front end and context module).</param>
    public DilatedNetwork(int inChannels, int numClasses, DilatedOptions? options = null) : base(nameof(DilatedNetwork))
    {
        options ??= new DilatedOptions();
        options.Validate();
        if (inChannels < 1) throw new ArgumentException($"dilated: input channels {inChannels} must be positive");
        if (numClasses < 2) throw new ArgumentException($"dilated: {numClasses} score channels; need background and at least one class");
        Options = options;
        InChannels = inChannels;
        NumClasses = numClasses;
        var w = options.Widths;
        var n = options.ConvsPerStage;
        bool bn = options.BatchNorm;
        stage1 = new ConvStage(1, inChannels, w[0], n[0], pool: true, batchNorm: bn);
        stage2 = new ConvStage(2, w[0], w[1], n[1], pool: true, batchNorm: bn);
        stage3 = new ConvStage(3, w[1], w[2], n[2], pool: true, batchNorm: bn);
        stage4 = new ConvStage(4, w[2], w[3], n[3], pool: false, batchNorm: bn);              // pool4 removed
        stage5 = new ConvStage(5, w[3], w[4], n[4], pool: false, dilation: 2, batchNorm: bn); // after pool4: dilation 2; pool5 removed
        int k = options.Fc6Kernel;
        fc6 = Conv2d(w[4], options.FcWidth, k, padding: 4 * (k / 2), dilation: 4);           // after pool5: dilation 4
        fc7 = Conv2d(options.FcWidth, options.FcWidth, 1);
        drop6 = Dropout(options.Dropout);
        drop7 = Dropout(options.Dropout);
        final = Conv2d(options.FcWidth, numClasses, 1);
        using (no_grad()) { init.normal_(final.weight!, 0, 0.001); final.bias!.zero_(); } // the authors' code: N(0, 0.001²), zero bias
        if (options.ContextModule) context = new ContextModule(numClasses, options.ContextDilations, options.ContextWidths);
        upsample = new BilinearUpsample(numClasses, Stride, learnable: false);
        RegisterComponents();
    }

    /// <summary>The settings the network was built with.</summary>
    public DilatedOptions Options { get; }

    /// <summary>C, image channels.</summary>
    public int InChannels { get; }

    /// <summary>K, score channels including background.</summary>
    public int NumClasses { get; }

    /// <summary>The context module, or null for the front end alone.</summary>
    public ContextModule? Context => context;

    /// <summary>Inputs must be multiples of 8 (three 2x2 poolings).</summary>
    public int InputMultiple => Stride;

    /// <summary>Per-pixel scores (logits) <c>[N, K, H, W]</c> of normalised images <c>[N, C, H, W]</c>, H and W multiples of 8.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return upsample.forward(Scores(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Scores at stride 8 <c>[N, K, H/8, W/8]</c>: the context module's output, or the front end's without one.</summary>
    public Tensor Scores(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = FrontEndScores(x);
        if (context is not null) s = context.forward(s);
        return s.MoveToOuterDisposeScope();
    }

    /// <summary>The front end's scores at stride 8 <c>[N, K, H/8, W/8]</c> (without gradients when the front end is frozen).</summary>
    public Tensor FrontEndScores(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != InChannels)
            throw new ArgumentException($"dilated network expects images [N, {InChannels}, H, W], got [{string.Join(", ", x.shape)}]");
        if (x.shape[2] % Stride != 0 || x.shape[3] % Stride != 0)
            throw new ArgumentException($"dilated network needs sides that are multiples of {Stride}, got {x.shape[2]}x{x.shape[3]} (pad the image)");
        bool frozen = context is not null && Options.FreezeFrontEnd;
        using var scope = NewDisposeScope();
        using var grad = frozen ? no_grad() : null;
        var h = stage5.forward(stage4.forward(stage3.forward(stage2.forward(stage1.forward(ChannelsLast.Of(x))))));
        h = drop6.forward(F.relu(fc6.forward(h)));
        h = drop7.forward(F.relu(fc7.forward(h)));
        return final.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sets training mode; a frozen front end (context module on, <see cref="DilatedOptions.FreezeFrontEnd"/>) stays in
    /// inference mode, so its batch norm uses the trained statistics and its dropout is off.
    /// </summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on && context is not null && Options.FreezeFrontEnd)
            foreach (var m in new Module[] { stage1, stage2, stage3, stage4, stage5, fc6, fc7, final, drop6, drop7 }) m.eval();
    }

    /// <summary>
    /// Copies a trained front end's parameters and buffers (from a network with or without a context module, same
    /// channels, classes and front-end settings) into this one's front end; the context module keeps its identity start.
    /// </summary>
    /// <exception cref="ArgumentException">Channels, classes or front-end layer shapes differ.</exception>
    public void InitialiseFrom(DilatedNetwork frontEnd)
    {
        ArgumentNullException.ThrowIfNull(frontEnd);
        if (frontEnd.InChannels != InChannels || frontEnd.NumClasses != NumClasses)
            throw new ArgumentException($"the front end has {frontEnd.InChannels} input channels and {frontEnd.NumClasses} classes, this net {InChannels} and {NumClasses}");
        var mine = state_dict();
        var theirs = frontEnd.state_dict().Where(kv => !kv.Key.StartsWith("context.")).ToList();
        foreach (var (key, value) in theirs)
        {
            if (!mine.TryGetValue(key, out var target))
                throw new ArgumentException($"this network has no '{key}' to receive the front end's (batch norm on in one and off in the other?)");
            if (!target.shape.SequenceEqual(value.shape))
                throw new ArgumentException($"'{key}' is [{string.Join(", ", value.shape)}] in the front end and [{string.Join(", ", target.shape)}] here (different widths?)");
        }
        using (no_grad())
            foreach (var (key, value) in theirs) mine[key].copy_(value);
    }

    /// <summary>
    /// Receptive field of one output score: the front end (stages, dilated conv5 and fc6, fc7, score layer), then the
    /// context module's layers on the stride-8 map, then the 8x upsampling.
    /// </summary>
    public ReceptiveField OutputField()
    {
        var rf = ReceptiveField.Input();
        foreach (var g in new[] { stage1, stage2, stage3, stage4, stage5 }.SelectMany(s => s.Geometry)) rf = rf.Then(g);
        int k = Options.Fc6Kernel;
        rf = rf.Then(LayerGeometry.Conv("fc6", k, padding: 4 * (k / 2), dilation: 4)).Then(LayerGeometry.Conv("fc7", 1)).Then(LayerGeometry.Conv("final", 1));
        if (context is not null) foreach (var g in context.Geometry) rf = rf.Then(g);
        return BilinearUpsample.Field(rf, Stride, "upsample");
    }
}
