using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// DCGAN's discriminator (Radford et al. 2016) for 28x28 images: strided 4x4 convolutions instead of pooling,
/// LeakyReLU 0.2, batch norm on every stage but the first → <c>[W, 14, 14]</c> → <c>[2W, 7, 7]</c> → a linear
/// layer to one logit. Conditional (Mirza &amp; Osindero 2014): the label's embedding, 28·28 numbers, is joined to the
/// image as a second input channel. Deliberate difference: two stages instead of four, for the small images.
/// </summary>
public sealed class DcganDiscriminator : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> features;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly TorchSharp.Modules.Embedding? embed;

    /// <summary>Builds an initialised discriminator (<see cref="DcganInit"/>).</summary>
    /// <param name="options">Width and conditioning.</param>
    /// <param name="classes">Number of classes (used when conditional).</param>
    public DcganDiscriminator(GanOptions options, int classes) : base(nameof(DcganDiscriminator))
    {
        options.Validate();
        if (options.Conditional && classes < 2) throw new ArgumentException($"a conditional discriminator needs at least 2 classes (got {classes})");
        int w = options.Width;
        embed = options.Conditional ? nn.Embedding(classes, 28 * 28) : null;
        features = nn.Sequential(
            nn.Conv2d(options.Conditional ? 2 : 1, w, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Flatten());
        head = nn.Linear(2 * w * 49, 1);
        RegisterComponents();
        DcganInit.Apply(this);
    }

    /// <summary>Scores images as real (positive logit) or generated (negative).</summary>
    /// <param name="images">Images <c>[B, 1, 28, 28]</c> in [-1, 1].</param>
    /// <param name="labels">Class labels <c>int64 [B]</c> when conditional, else null.</param>
    /// <returns>Logits <c>[B]</c>.</returns>
    public override Tensor forward(Tensor images, Tensor? labels)
    {
        if (images.dim() != 4 || images.shape[1] != 1 || images.shape[2] != 28 || images.shape[3] != 28)
            throw new ArgumentException($"images must be [B, 1, 28, 28], got [{string.Join(", ", images.shape)}]");
        if (embed is not null)
        {
            if (labels is null || labels.dim() != 1 || labels.shape[0] != images.shape[0])
                throw new ArgumentException($"a conditional discriminator needs labels int64 [{images.shape[0]}]");
            images = cat([images, embed.forward(labels).view(-1, 1, 28, 28)], 1);
        }
        return head.forward(features.forward(images)).squeeze(1);
    }
}
