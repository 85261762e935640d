using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Segmentation.PixelWindow;

/// <summary>
/// The naive per-pixel sliding window: a small CNN that classifies a w x w window (w odd) into the label of its centre
/// pixel — the brute-force baseline the lecture starts segmentation from. The classifier is stages of a 3x3 valid
/// convolution and ReLU, all but the last followed by 3x3 max pooling with stride 2, then fc1 (a convolution over the
/// whole remaining map, ReLU) and fc2 (1x1 to K scores); <see cref="ClassifyWindows"/> runs it window by window.
/// <para>
/// <see cref="forward"/> runs the same weights densely over a whole image in one pass (the point of "fully
/// convolutional"): the image is zero-padded by (w − 1)/2, the fully connected layers are convolutions, and each
/// stride-2 pooling becomes a stride-1 pooling whose taps, and those of every later layer, are dilated by the stride it
/// replaced (à trous / filter rarefaction: Giusti et al. 2013, "Fast image scanning with deep max-pooling convolutional
/// neural networks"; the "filter rarefaction" of Long et al. 2015, Sec. 3.2). The dense map at pixel (i, j) is then
/// exactly the window classifier's output on the window centred at (i, j) (tested), computed once per pixel and layer
/// instead of once per overlapping window (for a 33x33 window and a 128x128 image about 30 times fewer multiply-adds with the default widths), and
/// with no shift-and-stitch.
/// </para>
/// <para>
/// Training: the per-pixel cross-entropy of the dense map over an image, averaged over its pixels, is by that identity the
/// window classifier's cross-entropy averaged over all windows centred on the image's pixels (zero-padded at the edges),
/// so training the dense network on whole images with the usual segmentation loss is training the window classifier
/// on every window, with the same loss and the same gradients (tested). <see cref="WindowsAt"/> cuts windows out for
/// the window-by-window path (e.g. sampling a few windows per image).
/// </para>
/// <para>
/// Deliberate choices: no batch norm (its batch statistics would differ between the two paths in training mode);
/// pooling is 3x3 with stride 2 (overlapping, as in AlexNet) so that an odd window tiles exactly and the classifier's
/// receptive field is the whole window.
/// </para>
/// </summary>
public sealed class PixelWindowNetwork : Module<Tensor, Tensor>, ISegmentationNetwork
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ModuleList<Conv2d> convs;
    private readonly Conv2d fc1, fc2;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">C, image channels.</param>
    /// <param name="numClasses">K, score channels including background (index 0).</param>
    /// <param name="options">Settings; null for the defaults (a 33x33 window).</param>
    public PixelWindowNetwork(int inChannels, int numClasses, PixelWindowOptions? options = null) : base(nameof(PixelWindowNetwork))
    {
        options ??= new PixelWindowOptions();
        options.Validate();
        if (inChannels < 1) throw new ArgumentException($"pixel window: input channels {inChannels} must be positive");
        if (numClasses < 2) throw new ArgumentException($"pixel window: {numClasses} score channels; need background and at least one class");
        Options = options;
        InChannels = inChannels;
        NumClasses = numClasses;
        convs = new ModuleList<Conv2d>();
        int c = inChannels;
        foreach (var w in options.Widths) { convs.Add(Conv2d(c, w, 3)); c = w; }
        int side = PixelWindowOptions.FinalMapSide(options.Window, options.Widths.Length)!.Value;
        fc1 = Conv2d(c, options.HiddenWidth, side);
        fc2 = Conv2d(options.HiddenWidth, numClasses, 1);
        RegisterComponents();
        var field = OutputField();
        if (field.Size != options.Window) // guards FinalMapSide: the classifier must see exactly the window
            throw new InvalidOperationException($"the classifier sees {field.Size} pixels, not the {options.Window}-pixel window");
    }

    /// <summary>The settings the network was built with.</summary>
    public PixelWindowOptions Options { get; }

    /// <summary>C, image channels.</summary>
    public int InChannels { get; }

    /// <summary>K, score channels including background.</summary>
    public int NumClasses { get; }

    /// <summary>Window side w.</summary>
    public int Window => Options.Window;

    /// <summary>Any size works: the dense path has stride 1.</summary>
    public int InputMultiple => 1;

    /// <summary>
    /// Classifies windows one by one: <c>[M, C, w, w]</c> → centre-pixel scores (logits) <c>[M, K]</c>, with ordinary
    /// stride-2 pooling.
    /// </summary>
    public Tensor ClassifyWindows(Tensor windows)
    {
        if (windows.dim() != 4 || windows.shape[1] != InChannels || windows.shape[2] != Window || windows.shape[3] != Window)
            throw new ArgumentException($"expected windows [M, {InChannels}, {Window}, {Window}], got [{string.Join(", ", windows.shape)}]");
        using var scope = NewDisposeScope();
        var x = ChannelsLast.Of(windows);
        for (int i = 0; i < convs.Count; i++)
        {
            x = F.relu(convs[i].forward(x));
            if (i < convs.Count - 1) x = F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 });
        }
        x = fc2.forward(F.relu(fc1.forward(x)));
        return x.flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Dense per-pixel scores (logits) <c>[N, K, H, W]</c> of normalised images <c>[N, C, H, W]</c>, any H, W: at each
    /// pixel, exactly <see cref="ClassifyWindows"/> of the zero-padded window centred there.
    /// </summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != InChannels)
            throw new ArgumentException($"pixel window expects images [N, {InChannels}, H, W], got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        long h = (Window - 1) / 2;
        var x = F.pad(ChannelsLast.Of(images), new long[] { h, h, h, h });
        long d = 1;
        for (int i = 0; i < convs.Count; i++)
        {
            var conv = convs[i];
            x = F.relu(F.conv2d(x, conv.weight!, conv.bias, dilation: new long[] { d, d }));
            if (i < convs.Count - 1)
            {
                x = F.max_pool2d(x, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 0, 0 }, new long[] { d, d });
                d *= 2;
            }
        }
        x = F.relu(F.conv2d(x, fc1.weight!, fc1.bias, dilation: new long[] { d, d }));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cuts w x w windows out of images <c>[N, C, H, W]</c>, zero-padded by (w − 1)/2 as the dense path pads:
    /// <paramref name="positions"/> <c>[M, 3]</c> int64 rows (image index, row, column) give the centres; returns
    /// <c>[M, C, w, w]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Positions are not <c>[M, 3]</c> or lie outside the images.</exception>
    public Tensor WindowsAt(Tensor images, Tensor positions)
    {
        if (images.dim() != 4) throw new ArgumentException($"expected images [N, C, H, W], got [{string.Join(", ", images.shape)}]");
        if (positions.dim() != 2 || positions.shape[1] != 3) throw new ArgumentException($"positions must be [M, 3] (image, row, column), got [{string.Join(", ", positions.shape)}]");
        using var scope = NewDisposeScope();
        var p = positions.to_type(ScalarType.Int64);
        if (p.numel() > 0)
        {
            var lo = p.min(0).values; var hi = p.max(0).values;
            if (lo.lt(0).any().item<bool>() || hi[0].item<long>() >= images.shape[0] || hi[1].item<long>() >= images.shape[2] || hi[2].item<long>() >= images.shape[3])
                throw new ArgumentException($"window centres must lie inside {images.shape[0]} images of {images.shape[2]}x{images.shape[3]}");
        }
        long h = (Window - 1) / 2;
        var padded = F.pad(images, new long[] { h, h, h, h });
        var all = padded.unfold(2, Window, 1).unfold(3, Window, 1); // [N, C, H, W, w, w], a view
        var windows = all.index(TensorIndex.Tensor(p[.., 0]), TensorIndex.Colon, TensorIndex.Tensor(p[.., 1]), TensorIndex.Tensor(p[.., 2]));
        return windows.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The field of one output score: exactly the w x w window (checked at construction).</summary>
    public ReceptiveField OutputField()
    {
        var rf = ReceptiveField.Input();
        for (int i = 0; i < convs.Count; i++)
        {
            rf = rf.Then(LayerGeometry.Conv($"conv{i + 1}", 3));
            if (i < convs.Count - 1) rf = rf.Then(LayerGeometry.MaxPool($"pool{i + 1}", 3, 2));
        }
        return rf.Then(LayerGeometry.Conv("fc1", (int)fc1.weight!.shape[2])).Then(LayerGeometry.Conv("fc2", 1));
    }
}
