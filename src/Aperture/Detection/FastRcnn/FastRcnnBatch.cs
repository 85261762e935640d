using Aperture.Nn;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection.FastRcnn;

/// <summary>A Fast R-CNN mini-batch: a few whole images and the RoIs sampled from them.</summary>
/// <param name="Images">Normalised images <c>float32 [N, 3, H, W]</c> (zero-padded at the bottom/right to a common size).</param>
/// <param name="Rois">RoIs <c>float32 [R, 5]</c>: (image index in the batch, x1, y1, x2, y2).</param>
/// <param name="Labels">RoI classes <c>int64 [R]</c>: 0 background, class id + 1.</param>
/// <param name="Targets">Box-regression targets <c>float32 [R, 4]</c> for the labelled class.</param>
public sealed record FastRcnnBatch(Tensor Images, Tensor Rois, Tensor Labels, Tensor Targets) : IDisposable
{
    /// <summary>Number of images.</summary>
    public long Size => Images.shape[0];

    /// <summary>Builds a batch from images and their samples (flipping each horizontally when its flag says so).</summary>
    public static FastRcnnBatch Create(IReadOnlyList<DetectionImage> images, IReadOnlyList<RoiSample> samples, IReadOnlyList<bool>? flips = null)
    {
        int h = images.Max(i => i.Height), w = images.Max(i => i.Width);
        var imgs = new List<Tensor>(); var rois = new List<Tensor>();
        for (int i = 0; i < images.Count; i++)
        {
            var x = Backbone.Normalize(images[i].Image);
            var r = samples[i].Rois;
            if (flips is not null && flips[i]) { x = x.flip(2); r = FlipBoxes(r, images[i].Width); }
            imgs.Add(nn.functional.pad(x, new long[] { 0, w - images[i].Width, 0, h - images[i].Height }));
            rois.Add(cat(new[] { full(r.shape[0], 1, i, ScalarType.Float32), r }, 1));
        }
        var targets = cat(samples.Select((s, i) => flips is not null && flips[i] ? s.Targets.mul(tensor(new float[] { -1, 1, 1, 1 })) : s.Targets).ToArray(), 0);
        return new FastRcnnBatch(stack(imgs), cat(rois, 0), cat(samples.Select(s => s.Labels).ToArray(), 0), targets);
    }

    /// <summary>Mirrors boxes <c>[K, 4]</c> in an image of the given width.</summary>
    public static Tensor FlipBoxes(Tensor boxes, int width) =>
        stack(new[] { boxes[.., 2].neg().add(width), boxes[.., 1], boxes[.., 0].neg().add(width), boxes[.., 3] }, 1);

    /// <summary>Moves the tensors to a device.</summary>
    public FastRcnnBatch To(Device device) => new(Images.to(device), Rois.to(device), Labels.to(device), Targets.to(device));

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose(); Rois.Dispose(); Labels.Dispose(); Targets.Dispose();
    }
}
