using Aperture.Classification;
using Aperture.Imaging;
using Aperture.Ops;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Localization;

/// <summary>
/// Class activation maps (Zhou, Khosla, Lapedriza, Oliva &amp; Torralba, "Learning deep features for
/// discriminative localization", CVPR 2016). In a network that ends in global average pooling and one linear
/// layer, the score of class c is Σ_k w_{c,k} · mean(f_k) + b_c, so M_c = Σ_k w_{c,k} f_k is a map of where
/// the evidence for c lies: its spatial mean plus b_c is exactly the logit.
/// </summary>
public static class ClassActivationMap
{
    /// <summary>M_c for every class: <c>[N, K', h, w]</c> float from the last conv maps <c>[N, K, h, w]</c> and the classifier (weights <c>[K', K]</c>).</summary>
    /// <exception cref="ArgumentException">The maps' channels differ from the classifier's inputs.</exception>
    public static Tensor AllClasses(Tensor features, Linear classifier)
    {
        if (features.dim() != 4 || features.shape[1] != classifier.weight.shape[1])
            throw new ArgumentException($"feature maps must be [N, {classifier.weight.shape[1]}, h, w] for this classifier, got [{string.Join(", ", features.shape)}]");
        return einsum("ck,nkhw->nchw", classifier.weight.detach(), features);
    }

    /// <summary>M_c for one class per image: <c>[N, h, w]</c> float.</summary>
    /// <param name="features">Last conv maps <c>[N, K, h, w]</c>.</param>
    /// <param name="classifier">The linear layer after global average pooling.</param>
    /// <param name="classes">Class per image <c>[N]</c> int64.</param>
    /// <exception cref="ArgumentException">A class index out of range (the message gives the valid range).</exception>
    public static Tensor ForClasses(Tensor features, Linear classifier, Tensor classes)
    {
        using var scope = NewDisposeScope();
        long k = classifier.weight.shape[0];
        CheckClasses(classes, k, features.shape[0]);
        var w = classifier.weight.detach().index_select(0, classes.to(features.device)); // [N, K]
        return einsum("nk,nkhw->nhw", w, features).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs a GAP network on a batch and returns, per image, the CAMs of its top-<paramref name="topK"/> classes (or of
    /// <paramref name="chosenClass"/>), both at the map's resolution and upsampled bilinearly to the input size.
    /// The network's mode (training or inference) is left as it is; call <c>eval()</c> first.
    /// </summary>
    /// <param name="features">The convolutional body, <c>[N, C, H, W]</c> to <c>[N, K, h, w]</c>.</param>
    /// <param name="classifier">The linear layer on the pooled maps.</param>
    /// <param name="input">Network input <c>[N, C, H, W]</c>, float, prepared as for the network.</param>
    /// <param name="topK">How many of the highest-scoring classes (ignored when <paramref name="chosenClass"/> is given).</param>
    /// <param name="chosenClass">One class for every image, or null for the top classes.</param>
    /// <param name="classNames">Names of the classes, used in error messages; may be null.</param>
    /// <returns>Per image, its maps in order of decreasing score.</returns>
    public static IReadOnlyList<IReadOnlyList<ClassMap>> Compute(nn.Module<Tensor, Tensor> features, Linear classifier, Tensor input,
        int topK = 1, int? chosenClass = null, IReadOnlyList<string>? classNames = null)
    {
        if (input.dim() != 4 || !input.is_floating_point())
            throw new ArgumentException($"network input must be float [N, C, H, W], got {input.dtype} [{string.Join(", ", input.shape)}]");
        int k = (int)classifier.weight.shape[0];
        if (chosenClass is int cc && (cc < 0 || cc >= k))
            throw new ArgumentException($"class {cc} does not exist; valid classes: {ValidClasses(k, classNames)}");
        if (chosenClass is null && (topK < 1 || topK > k)) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be in 1 … {k}");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = features.call(input);
        var logits = classifier.forward(f.mean(new long[] { 2, 3 }));
        var probs = logits.softmax(1);
        var maps = AllClasses(f, classifier);
        var up = Upsample(maps, (int)input.shape[2], (int)input.shape[3]);
        var order = chosenClass is int c ? full(input.shape[0], 1, (long)c, ScalarType.Int64) : logits.topk(topK, 1).indexes;
        var result = new List<IReadOnlyList<ClassMap>>();
        for (int n = 0; n < input.shape[0]; n++)
        {
            var list = new List<ClassMap>();
            foreach (long cls in order[n].cpu().data<long>().ToArray())
                list.Add(new ClassMap((int)cls, classNames is not null && cls < classNames.Count ? classNames[(int)cls] : cls.ToString(),
                    logits[n, cls].item<float>(), probs[n, cls].item<float>(),
                    maps[n, cls].cpu().MoveToOuterDisposeScope(), up[n, cls].cpu().MoveToOuterDisposeScope()));
            result.Add(list);
        }
        return result;
    }

    /// <summary><see cref="Compute(nn.Module{Tensor, Tensor}, Linear, Tensor, int, int?, IReadOnlyList{string}?)"/> on a <see cref="VggGap"/> network.</summary>
    public static IReadOnlyList<IReadOnlyList<ClassMap>> Compute(VggGap model, Tensor input, int topK = 1, int? chosenClass = null,
        IReadOnlyList<string>? classNames = null) =>
        Compute(model.Features, model.Classifier, input, topK, chosenClass, classNames);

    /// <summary>Bilinear upsampling of maps <c>[N, K, h, w]</c> (or <c>[h, w]</c>) to <c>[N, K, H, W]</c> (or <c>[H, W]</c>), align_corners false.</summary>
    public static Tensor Upsample(Tensor maps, int height, int width)
    {
        using var scope = NewDisposeScope();
        var m = maps.dim() == 2 ? maps.unsqueeze(0).unsqueeze(0) : maps;
        var up = F.interpolate(m, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return (maps.dim() == 2 ? up[0, 0] : up).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The map over its image: <see cref="Overlay.Heatmap"/> with the turbo colour map (the usual CAM look), the
    /// map's own range, and an optional box (the localization) drawn on top.
    /// </summary>
    /// <param name="image">The picture <c>[C, H, W]</c>, uint8 or float in [0, 1].</param>
    /// <param name="map">The CAM <c>[h, w]</c> at any resolution.</param>
    /// <param name="box">A box to draw (x1, y1, x2, y2), or null.</param>
    /// <param name="alpha">Heatmap opacity.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public static Tensor Draw(Tensor image, Tensor map, Box? box = null, double alpha = 0.5)
    {
        using var scope = NewDisposeScope();
        var drawn = Overlay.Heatmap(image, map, alpha, ColorMap.Turbo);
        if (box is Box b)
            drawn = BoxDrawing.Draw(drawn, tensor(new float[] { (float)b.X1, (float)b.Y1, (float)b.X2, (float)b.Y2 }, new long[] { 1, 4 }),
                style: new BoxStyle { ShowLabels = false, Color = SkiaSharp.SKColors.White, LineWidth = 1 });
        return drawn.MoveToOuterDisposeScope();
    }

    internal static string ValidClasses(int k, IReadOnlyList<string>? names) =>
        names is not null && names.Count == k ? string.Join(", ", names.Select((n, i) => $"{i} ({n})")) : $"0 … {k - 1}";

    private static void CheckClasses(Tensor classes, long k, long n)
    {
        if (classes.dim() != 1 || classes.shape[0] != n) throw new ArgumentException($"classes must be [N] = [{n}], got [{string.Join(", ", classes.shape)}]");
        if (n == 0) return;
        long lo = classes.min().item<long>(), hi = classes.max().item<long>();
        if (lo < 0 || hi >= k) throw new ArgumentException($"class {(lo < 0 ? lo : hi)} does not exist; valid classes: 0 … {k - 1}");
    }
}

/// <summary>One class activation map of one image.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Name">Class name (or the index as text).</param>
/// <param name="Logit">The network's score for the class.</param>
/// <param name="Probability">Its softmax probability.</param>
/// <param name="Map">M_c at the last conv layer's resolution <c>[h, w]</c>.</param>
/// <param name="Upsampled">M_c upsampled bilinearly to the input size <c>[H, W]</c>.</param>
public sealed record ClassMap(int Class, string Name, float Logit, float Probability, Tensor Map, Tensor Upsampled);
