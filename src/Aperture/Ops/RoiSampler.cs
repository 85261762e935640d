using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>RoIs sampled from one image for a Fast R-CNN mini-batch.</summary>
/// <param name="Rois">Boxes <c>float32 [R, 4]</c>, foreground first.</param>
/// <param name="Labels">Targets <c>int64 [R]</c>: 0 for background, class id + 1 for foreground.</param>
/// <param name="Targets">Box-regression targets <c>float32 [R, 4]</c> (zero for background rows).</param>
/// <param name="Overlaps">Best IoU of each RoI with the ground truth, <c>float32 [R]</c>.</param>
public sealed record RoiSample(Tensor Rois, Tensor Labels, Tensor Targets, Tensor Overlaps);

/// <summary>
/// Fast R-CNN's RoI sampling (Girshick 2015, section 2.3): from the proposals of an image plus its ground-truth
/// boxes, take up to <c>fgFraction · count</c> foreground RoIs (IoU ≥ <c>fgIou</c> with a ground-truth box, labelled
/// with its class) and fill the rest with background RoIs whose best IoU lies in [<c>bgLow</c>, <c>bgHigh</c>)
/// (labelled 0). When an image has too few such background RoIs, the rest come from IoU below <c>bgLow</c>
/// (so a mini-batch is never short); sampling is without replacement.
/// </summary>
public static class RoiSampler
{
    /// <summary>Samples RoIs; see the class remarks.</summary>
    /// <param name="proposals">Proposals <c>float32 [P, 4]</c>.</param>
    /// <param name="gtBoxes">Ground-truth boxes <c>[G, 4]</c>.</param>
    /// <param name="gtLabels">Ground-truth class ids <c>int64 [G]</c> (0..K−1).</param>
    /// <param name="coder">Box coder of the regression targets.</param>
    /// <param name="count">RoIs per image (64 in the paper).</param>
    /// <param name="fgFraction">Foreground fraction (0.25).</param>
    /// <param name="fgIou">Foreground IoU threshold (0.5).</param>
    /// <param name="bgLow">Background IoU lower bound (0.1).</param>
    /// <param name="bgHigh">Background IoU upper bound, exclusive (0.5).</param>
    /// <param name="rng">Random source.</param>
    public static RoiSample Sample(Tensor proposals, Tensor gtBoxes, Tensor gtLabels, BoxCoder coder, int count, double fgFraction,
        double fgIou, double bgLow, double bgHigh, Random rng)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "RoIs per image must be at least 1");
        if (fgFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fgFraction), fgFraction, "must be in [0, 1]");
        if (!(bgLow <= bgHigh && bgHigh <= fgIou)) throw new ArgumentException($"need bgLow <= bgHigh <= fgIou, got {bgLow}, {bgHigh}, {fgIou}");
        using var scope = NewDisposeScope();
        var all = cat(new[] { gtBoxes.to_type(ScalarType.Float32).cpu(), proposals.to_type(ScalarType.Float32).cpu() }, 0);
        int n = (int)all.shape[0], g = (int)gtBoxes.shape[0];
        float[] best = new float[n]; long[] match = new long[n];
        if (g > 0)
        {
            var iou = Boxes.Iou(all, gtBoxes.to_type(ScalarType.Float32).cpu());
            var (v, i) = iou.max(1);
            best = v.contiguous().data<float>().ToArray();
            match = i.contiguous().data<long>().ToArray();
        }
        var fg = new List<int>(); var bg = new List<int>(); var low = new List<int>();
        for (int k = 0; k < n; k++)
        {
            if (g > 0 && best[k] >= fgIou) fg.Add(k);
            else if (best[k] >= bgLow && best[k] < bgHigh) bg.Add(k);
            else if (best[k] < bgLow) low.Add(k);
        }
        int nFg = Math.Min(fg.Count, (int)Math.Round(fgFraction * count));
        var chosen = Pick(fg, nFg, rng);
        int nBg = Math.Min(bg.Count, count - nFg);
        chosen.AddRange(Pick(bg, nBg, rng));
        chosen.AddRange(Pick(low, Math.Min(low.Count, count - chosen.Count), rng));

        var idx = tensor(chosen.Select(c => (long)c).ToArray(), ScalarType.Int64);
        var rois = all.index_select(0, idx);
        var labelsAll = g > 0 ? gtLabels.to_type(ScalarType.Int64).cpu().index_select(0, tensor(match, ScalarType.Int64)).add(1) : zeros(n, ScalarType.Int64);
        var isFg = tensor(chosen.Select(c => g > 0 && best[c] >= fgIou).ToArray());
        var labels = labelsAll.index_select(0, idx).mul(isFg.to_type(ScalarType.Int64));
        Tensor targets;
        if (g > 0)
        {
            var matched = gtBoxes.to_type(ScalarType.Float32).cpu().index_select(0, tensor(chosen.Select(c => match[c]).ToArray(), ScalarType.Int64));
            var safe = rois.clone();
            safe[.., 2] = maximum(safe[.., 2], safe[.., 0].add(1e-3));
            safe[.., 3] = maximum(safe[.., 3], safe[.., 1].add(1e-3));
            targets = coder.Encode(safe, matched).mul(isFg.unsqueeze(1).to_type(ScalarType.Float32));
        }
        else targets = zeros(chosen.Count, 4);
        var overlaps = tensor(chosen.Select(c => best[c]).ToArray());
        return new RoiSample(rois.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope(), overlaps.MoveToOuterDisposeScope());
    }

    private static List<int> Pick(List<int> from, int k, Random rng)
    {
        var copy = from.ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.Next(copy.Length - i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy.Take(k).ToList();
    }
}
