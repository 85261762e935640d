using TorchSharp;
using Aperture.Data;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>Table 1 of Pathak et al. 2016 for one mask kind, on held-out test images.</summary>
/// <param name="Mask">The mask kind.</param>
/// <param name="Images">Test images scored (the first ones of the test set, in file order).</param>
/// <param name="TrainImages">Training images the baselines draw on.</param>
/// <param name="Rows">Mean image, nearest neighbour, then the context encoder.</param>
public sealed record InpaintingTable(string Mask, long Images, long TrainImages, IReadOnlyList<InpaintingScore> Rows);

/// <summary>
/// Inpaints held-out test images with a trained context encoder and with the two baselines
/// (<see cref="InpaintingBaselines"/>), on the same masks (seeded), and scores all three over the masked region
/// (<see cref="InpaintingMetrics"/>); draws the figure: masked input, each method's fill, truth.
/// </summary>
public static class InpaintingEvaluation
{
    /// <summary>The seed of the random-block masks used to score (fixed, so every model meets the same holes).</summary>
    public const long MaskSeed = 2016;

    /// <summary>The fills of one test run: images <c>[N, 1, 28, 28]</c> in [0, 1].</summary>
    /// <param name="Truth">The test images.</param>
    /// <param name="Mask">The masks (1 = missing).</param>
    /// <param name="Masked">The network's input shown in [0, 1] (holes at the mean pixel).</param>
    /// <param name="Fills">Per method, the images with its fill.</param>
    public sealed record InpaintedImages(Tensor Truth, Tensor Mask, Tensor Masked, IReadOnlyList<(string Method, Tensor Images)> Fills) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            Truth.Dispose();
            Mask.Dispose();
            Masked.Dispose();
            foreach (var (_, t) in Fills) t.Dispose();
        }
    }

    /// <summary>The context encoder's fills of images <c>[N, 1, 28, 28]</c> in [0, 1] under masks, in [0, 1] (context kept).</summary>
    public static Tensor Inpaint(ContextEncoderNetwork model, Tensor images, Tensor mask, int batchSize = 500)
    {
        model.eval();
        using var noGrad = no_grad();
        var device = model.parameters().First().device;
        var parts = new List<Tensor>();
        for (long i = 0; i < images.shape[0]; i += batchSize)
        {
            using var scope = NewDisposeScope();
            long b = Math.Min(batchSize, images.shape[0] - i);
            var x = images.narrow(0, i, b).to(device).mul(2).sub(1);
            var m = mask.narrow(0, i, b).to(device);
            var y = ContextEncoderNetwork.Paste(x, model.forward(ContextEncoderNetwork.Hide(x, m)), m);
            parts.Add(y.add(1).div(2).clamp(0, 1).cpu().DetachFromDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Runs the three methods on the first <paramref name="count"/> test images.</summary>
    /// <param name="model">The trained context encoder.</param>
    /// <param name="kind">Mask kind scored.</param>
    /// <param name="train">Training images (baselines); not disposed.</param>
    /// <param name="test">Test images; not disposed.</param>
    /// <param name="count">Test images scored.</param>
    /// <param name="label">The context encoder's row label.</param>
    public static (InpaintingTable Table, InpaintedImages Fills) Run(ContextEncoderNetwork model, MaskKind kind, LabeledImages train, LabeledImages test, int count, string label)
    {
        if (count < 1) throw new ArgumentException($"the inpainting evaluation needs at least one test image (got {count})");
        using var scope = NewDisposeScope();
        long n = Math.Min(count, test.Count);
        var truth = test.Images.narrow(0, 0, n).to(ScalarType.Float32).div(255);
        var trainX = train.Images.to(ScalarType.Float32).div(255);
        using var generator = new Generator((ulong)MaskSeed);
        var mask = InpaintingMask.Draw(kind, (int)n, generator);
        var meanImage = trainX.mean([0], keepdim: true);
        var fills = new List<(string, Tensor)>
        {
            ("mean image", InpaintingBaselines.MeanFill(truth, mask, meanImage).MoveToOuterDisposeScope()),
            ("nearest neighbour", InpaintingBaselines.NearestNeighbourFill(truth, mask, trainX).MoveToOuterDisposeScope()),
            (label, Inpaint(model, truth, mask).MoveToOuterDisposeScope()),
        };
        var rows = fills.Select(f => InpaintingMetrics.Score(f.Item1, f.Item2, truth, mask)).ToList();
        var masked = ((truth * 2 - 1) * (1 - mask) + mask * ContextEncoderNetwork.FillValue).add(1).div(2);
        var table = new InpaintingTable(kind == MaskKind.Centre ? "centre" : "random_block", n, train.Count, rows);
        return (table, new InpaintedImages(truth.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope(), masked.MoveToOuterDisposeScope(), fills));
    }

    /// <summary>Writes the figure: one column per image (the first <paramref name="columns"/>), rows masked input, each
    /// method's fill, truth; returns the path.</summary>
    public static string WriteFigure(string path, InpaintedImages fills, int columns = 10)
    {
        using var scope = NewDisposeScope();
        long n = Math.Min(columns, fills.Truth.shape[0]);
        var rows = new List<Tensor> { fills.Masked.narrow(0, 0, n) };
        rows.AddRange(fills.Fills.Select(f => f.Images.narrow(0, 0, n)));
        rows.Add(fills.Truth.narrow(0, 0, n));
        ImageTensor.Write(path, ImageGrid.Tile(cat(rows, 0), columns: (int)n, padding: 2, scale: 2));
        return path;
    }
}
