using Aperture.Data.Formats;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// One image held in memory for detector training or evaluation: pixels, ground truth and (once attached) its
/// object proposals. The tensors are detached from dispose scopes; <see cref="Dispose"/> frees them.
/// </summary>
public sealed class DetectionImage : IDisposable
{
    /// <summary>Wraps tensors (the image takes ownership of them).</summary>
    /// <param name="id">Image id (file stem), used as the proposal-cache key.</param>
    /// <param name="image">RGB pixels <c>uint8 [3, H, W]</c>.</param>
    /// <param name="boxes">Ground-truth boxes <c>float32 [G, 4]</c> (x1, y1, x2, y2).</param>
    /// <param name="labels">Ground-truth class ids <c>int64 [G]</c> in 0..K−1 (no background id).</param>
    public DetectionImage(string id, Tensor image, Tensor boxes, Tensor labels)
    {
        if (image.dim() != 3 || image.shape[0] != 3 || image.dtype != ScalarType.Byte)
            throw new ArgumentException($"image '{id}': expected uint8 [3, H, W], got {image.dtype} [{string.Join(", ", image.shape)}]");
        if (labels.numel() != boxes.shape[0])
            throw new ArgumentException($"image '{id}': {boxes.shape[0]} boxes but {labels.numel()} labels");
        Boxes_ValidateSafe(boxes, id, (int)image.shape[2], (int)image.shape[1]);
        Id = id;
        Image = image.DetachFromDisposeScope();
        Boxes = boxes.to_type(ScalarType.Float32).DetachFromDisposeScope();
        Labels = labels.to_type(ScalarType.Int64).DetachFromDisposeScope();
    }

    private static void Boxes_ValidateSafe(Tensor boxes, string id, int width, int height)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"image '{id}': ground-truth boxes must be [G, 4], got [{string.Join(", ", boxes.shape)}]");
        Ops.Boxes.Validate(boxes, width, height, $"image '{id}' ground truth");
    }

    /// <summary>Image id (file stem).</summary>
    public string Id { get; }

    /// <summary>RGB pixels <c>uint8 [3, H, W]</c>.</summary>
    public Tensor Image { get; }

    /// <summary>Ground-truth boxes <c>float32 [G, 4]</c>.</summary>
    public Tensor Boxes { get; }

    /// <summary>Ground-truth class ids <c>int64 [G]</c>.</summary>
    public Tensor Labels { get; }

    /// <summary>Object proposals <c>float32 [P, 4]</c> in rank order, or null until attached (<see cref="ProposalCache"/>).</summary>
    public Tensor? Proposals { get; private set; }

    /// <summary>Image width in pixels.</summary>
    public int Width => (int)Image.shape[2];

    /// <summary>Image height in pixels.</summary>
    public int Height => (int)Image.shape[1];

    /// <summary>Ground truth in the form the metrics take.</summary>
    public ImageTruth Truth => new(Boxes, Labels);

    /// <summary>Sets the proposals <c>[P, 4]</c> (copied, clipped to the image; boxes under 2 px wide or high dropped).</summary>
    public void SetProposals(Tensor proposals)
    {
        if (proposals.dim() != 2 || proposals.shape[1] != 4)
            throw new ArgumentException($"image '{Id}': proposals must be [P, 4], got [{string.Join(", ", proposals.shape)}]");
        using var scope = NewDisposeScope();
        var p = Ops.Boxes.Clip(proposals.to_type(ScalarType.Float32).cpu(), Width, Height);
        var kept = p.index_select(0, Ops.Boxes.RemoveSmall(p, 2)).contiguous();
        Proposals?.Dispose();
        Proposals = kept.DetachFromDisposeScope();
    }

    /// <summary>Loads every image of a VOC or COCO dataset split into memory.</summary>
    /// <exception cref="InvalidDataException">An image is not readable, truncated, or not the size its annotation gives.</exception>
    public static List<DetectionImage> Load(DetectionDataset dataset, int limit = 0)
    {
        var samples = limit > 0 ? dataset.Samples.Take(limit).ToList() : dataset.Samples.ToList();
        var result = new DetectionImage[samples.Count];
        try
        {
            Parallel.For(0, samples.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
            {
                var s = samples[i];
                using var scope = NewDisposeScope();
                var image = s.LoadImage();
                if (image.shape[0] == 1) image = image.expand(3, -1, -1).contiguous();
                result[i] = new DetectionImage(s.Annotation.Id, image, s.Boxes(), s.Labels());
            });
        }
        catch (AggregateException e)
        {
            foreach (var loaded in result) loaded?.Dispose();
            // A bad image is one clear error naming its file, not an AggregateException.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(Aperture.Core.ErrorBoundary.Unwrap(e)).Throw();
            throw;
        }
        return result.ToList();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Image.Dispose();
        Boxes.Dispose();
        Labels.Dispose();
        Proposals?.Dispose();
    }
}
