using Aperture.Classification;
using Aperture.Data.Loading;
using Aperture.Data;
using Aperture.Imaging;
using Aperture.Localization;
using Aperture.Nn;
using Aperture.Training;
using Aperture.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Visualization;

/// <summary>
/// Trains a VGG-GAP net for one short epoch on the shipped 6,000-image Fashion-MNIST sample and writes the pictures
/// of this chapter (filters, feature maps, deconvnet reconstructions, top-9 grids, CAM overlays with boxes) to
/// $APERTURE_INSIDE_LOOK_DIR, for a person to look at. Skipped unless that variable is set (it takes about a minute).
/// </summary>
public class InsideLookTests
{
    private static readonly string? Dir = Environment.GetEnvironmentVariable("APERTURE_INSIDE_LOOK_DIR");

    public sealed class LookFactAttribute : FactAttribute
    {
        public LookFactAttribute()
        {
            if (Dir is not { Length: > 0 }) Skip = "set APERTURE_INSIDE_LOOK_DIR to write the inside-the-network pictures";
        }
    }

    [LookFact]
    public void WritePictures()
    {
        Directory.CreateDirectory(Dir!);
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        using var test = FashionMnist.LoadSample(DatasetSplit.Test);
        var gen = new Generator(1);
        Tensor Prep(Tensor x) => Normalize.FashionMnist.Apply(x, gen);
        using var net = new VggGap();
        var opt = ScalarSafeOptimizers.Adam(net.parameters(), 2e-3);
        var order = randperm(train.Count);
        net.train();
        for (long s = 0; s + 64 <= train.Count; s += 64)
        {
            using var step = NewDisposeScope();
            var idx = order.narrow(0, s, 64);
            var x = Prep(train.Images.index_select(0, idx).to_type(ScalarType.Float32).div(255));
            var loss = nn.functional.cross_entropy(net.forward(x), train.Labels.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        net.eval();
        using (no_grad())
        {
            var logits = net.forward(Prep(test.Images.to_type(ScalarType.Float32).div(255)));
            double acc = logits.argmax(1).eq(test.Labels).to_type(ScalarType.Float32).mean().item<float>();
            File.WriteAllText(Path.Combine(Dir!, "accuracy.txt"), $"test accuracy after one epoch on 6,000 images: {acc:0.000}\n" +
                ReceptiveField.Table(ReceptiveField.Of(net, 28)));
        }

        var deconv = new Deconvnet(net);
        ImageTensor.Write(Path.Combine(Dir!, "filters_conv1_1.png"), FeatureMaps.FirstLayerFilters(net, 10));
        var image = test.Images[7];
        foreach (var layer in new[] { "relu1_2", "pool1", "relu2_2", "relu3_2" })
            ImageTensor.Write(Path.Combine(Dir!, $"featuremaps_{layer}.png"), FeatureMaps.Grid(deconv, image, layer, 32, 3, Prep));

        // Deconvnet and guided backpropagation of the 8 strongest relu3_2 maps of one image.
        var input = Prep(image.unsqueeze(0).to_type(ScalarType.Float32).div(255));
        var acts = deconv.Activations(input, "relu3_2")[0].amax(new long[] { 1, 2 });
        var strongest = acts.topk(8).indexes.data<long>().ToArray();
        var tiles = new List<Tensor> { image.to_type(ScalarType.Float32).div(255).unsqueeze(0) };
        foreach (var path in new[] { ReversePath.Deconvnet, ReversePath.GuidedBackpropagation })
            foreach (long c in strongest)
            {
                using var rec = deconv.Reconstruct(input, "relu3_2", (int)c, path: path);
                tiles.Add(ImageGrid.NormalizeEach(rec.Pixels));
            }
        ImageTensor.Write(Path.Combine(Dir!, "deconv_relu3_2.png"), ImageGrid.Tile(cat(tiles.ToArray(), 0), 9, 2, 4));

        foreach (var layer in new[] { "relu1_2", "relu2_2", "relu3_2" })
        {
            var tops = TopActivations.Collect(deconv, test.Images, layer, Enumerable.Range(0, 8).ToList(), prepare: Prep);
            ImageTensor.Write(Path.Combine(Dir!, $"top9_{layer}.png"), TopActivations.Grid(tops, layer == "relu1_2" ? 8 : 3));
        }

        // CAMs: top-3 classes of 8 test images, with the box from the top class's map.
        var pick = tensor(new long[] { 0, 1, 2, 3, 5, 8, 9, 11 });
        var imgs = test.Images.index_select(0, pick);
        var cams = ClassActivationMap.Compute(net, Prep(imgs.to_type(ScalarType.Float32).div(255)), 3, null, test.ClassNames);
        var overlays = new List<Tensor>();
        var captions = new List<Caption>();
        for (int n = 0; n < cams.Count; n++)
        {
            overlays.Add(imgs[n].expand(3, -1, -1).unsqueeze(0));
            captions.Add(Caption.Plain(test.ClassNames[(int)test.Labels[pick[n]].item<long>()]));
            foreach (var m in cams[n])
            {
                var box = m == cams[n][0] ? HeatmapBoxes.FromHeatmap(m.Upsampled) : null;
                overlays.Add(ClassActivationMap.Draw(imgs[n], m.Upsampled, box).unsqueeze(0));
                captions.Add(Caption.Plain($"{m.Name} {m.Probability:0.00}"));
            }
        }
        ImageTensor.Write(Path.Combine(Dir!, "cam_top3.png"), ImageGrid.Tile(cat(overlays.ToArray(), 0), 4, 3, 4, captions));
        var (gc, _) = GradCam.Compute(net, "relu2_2", Prep(imgs.to_type(ScalarType.Float32).div(255)));
        var gcTiles = Enumerable.Range(0, 8).Select(n => ClassActivationMap.Draw(imgs[n], gc[n]).unsqueeze(0)).ToArray();
        ImageTensor.Write(Path.Combine(Dir!, "gradcam_relu2_2.png"), ImageGrid.Tile(cat(gcTiles, 0), 8, 3, 4));
        var rfImage = ReceptiveField.Find(ReceptiveField.Of(net, 28), "pool2").Draw(image.repeat_interleave(8, 1).repeat_interleave(8, 2));
        ImageTensor.Write(Path.Combine(Dir!, "receptive_field_pool2_x8.png"), rfImage);
    }
}
