using static TorchSharp.torch;

namespace Aperture.Generative.Transfer;

/// <summary>
/// The labelled subset of a few-label experiment: <c>count</c> training images drawn class-balanced (⌊count / K⌋ per
/// class, the remainder one each to the first classes in a seeded order) without replacement, from a generator seeded
/// with <c>seed</c> — so each (count, seed) names one fixed draw that scratch, frozen and fine-tuned all share.
/// </summary>
public static class LabelDraw
{
    /// <summary>Indices <c>int64 [count]</c> into <paramref name="labels"/> <c>int64 [N]</c>, sorted.</summary>
    /// <exception cref="ArgumentException">A class has fewer images than its share, or count &lt; 1.</exception>
    public static Tensor ClassBalanced(Tensor labels, int classes, int count, long seed)
    {
        if (count < 1) throw new ArgumentException($"--labels must be >= 1 (got {count})");
        if (classes < 1) throw new ArgumentException($"need at least one class (got {classes})");
        var y = labels.cpu().data<long>().ToArray();
        using var generator = new Generator((ulong)seed);
        var classOrder = randperm(classes, generator: generator).data<long>().ToArray();
        var share = new int[classes];
        for (int k = 0; k < classes; k++) share[classOrder[k]] = count / classes + (k < count % classes ? 1 : 0);
        var picked = new List<long>(count);
        for (int c = 0; c < classes; c++)
        {
            var members = Enumerable.Range(0, y.Length).Where(i => y[i] == c).Select(i => (long)i).ToArray();
            if (members.Length < share[c])
                throw new ArgumentException($"class {c} has {members.Length} training images, fewer than its share {share[c]} of {count} labels");
            var order = randperm(members.Length, generator: generator).data<long>().ToArray();
            picked.AddRange(order.Take(share[c]).Select(i => members[i]));
        }
        picked.Sort();
        return tensor(picked.ToArray());
    }
}
