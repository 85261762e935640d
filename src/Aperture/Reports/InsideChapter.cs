using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Imaging;
using Aperture.Localization;
using Aperture.Nn;
using Aperture.Training;
using Aperture.Visualization;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>
/// The report chapter "Inside the network": receptive fields, first-layer filters, feature maps, Zeiler &amp; Fergus
/// top-9 patches with deconvnet reconstructions, deconvnet against guided backpropagation, class activation maps and
/// Grad-CAM on Fashion-MNIST, and weakly supervised localization on scenes scored against two baselines.
/// </summary>
public static class InsideChapter
{
    private static readonly string[] Layers = { "relu1_2", "relu2_2", "relu3_2" };

    /// <summary>Adds the chapter, using the classifiers the classification chapter trained, and runs the localization experiment.</summary>
    /// <param name="report">The report.</param>
    /// <param name="runs">Trained classifiers by name: <c>lenet5</c> and <c>vgg-gap</c> (from <see cref="ClassificationChapter.Add"/>).</param>
    /// <param name="train">Fashion-MNIST training images (items of the training scenes).</param>
    /// <param name="test">Fashion-MNIST test images (shown images, top-9 search, items of the test scenes).</param>
    /// <param name="quick">Short settings (fewer images searched, a smaller localization run).</param>
    /// <param name="seed">Seed.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines.</param>
    /// <returns>The localization run (its model and scores).</returns>
    /// <exception cref="ArgumentException">A classifier is missing from <paramref name="runs"/>.</exception>
    public static WeaklySupervisedRun Add(HtmlReport report, IReadOnlyDictionary<string, ClassifierRun> runs, LabeledImages train, LabeledImages test,
        bool quick, long seed, Device device, TextWriter log)
    {
        foreach (var name in new[] { "lenet5", "vgg-gap" })
            if (!runs.ContainsKey(name)) throw new ArgumentException($"the inside-the-network chapter needs the trained '{name}' classifier; got: {string.Join(", ", runs.Keys)}");
        string dir = Path.Combine(report.Folder, "inside");
        Aperture.Core.OutputFolder.Create(dir);
        string P(string name) => Path.Combine(dir, name + ".png");
        var vgg = runs["vgg-gap"];
        var lenet = runs["lenet5"];
        var net = (VggGap)vgg.Model;
        net.eval();
        lenet.Model.eval();
        Tensor Prep(Tensor unit) => unit.sub(vgg.Spec.Mean).div(vgg.Spec.Std);
        var deconv = new Deconvnet(net);
        var chapter = report.AddChapter("Inside the network: receptive fields, deconvnet, top-9 patches, class activation maps");
        chapter.Paragraph("What do the trained classifiers of the previous chapter respond to, and where in the image do they find their class? "
            + "All pictures below are of the VGG-GAP network trained there (and LeNet-5 where said), on real Fashion-MNIST test images.");

        // Receptive fields.
        log.WriteLine("[report] inside the network: receptive fields, filters, feature maps");
        var fields = ReceptiveField.Of(net, vgg.Spec.InputSize);
        var vgg16 = ReceptiveField.Of(ReceptiveField.Vgg16Layers, 224);
        chapter.Heading("Receptive fields");
        chapter.Paragraph("Size r, jump j (distance between neighbouring units, in pixels) and start (centre of the first unit's field) of every layer, "
            + "by r_out = r_in + (k − 1)·j_in, j_out = j_in·s. For comparison VGG-16 at 224 px: conv5_3 units see "
            + $"{ReceptiveField.Find(vgg16, "conv5_3").Size} px, pool5 units {ReceptiveField.Find(vgg16, "pool5").Size} px.");
        chapter.Table(new[] { "VGG-GAP layer", "size", "jump", "start", "map" },
            fields.Where(f => f.Kind is LayerKind.Convolution or LayerKind.MaxPool).Select(f => (IReadOnlyList<string>)new[]
            { f.Name, f.Size.ToString(CultureInfo.InvariantCulture), f.Jump.ToString(CultureInfo.InvariantCulture), f.Start.ToString("0.#", CultureInfo.InvariantCulture), $"{f.MapSize}x{f.MapSize}" }));
        var image = test.Images[0];
        ImageTensor.Write(P("receptive_field_pool2"), ImageGrid.Tile(ReceptiveField.Find(fields, "pool2").Draw(image).unsqueeze(0), 1, 0, 8));
        ImageTensor.Write(P("receptive_field_relu3_2"), ImageGrid.Tile(ReceptiveField.Find(fields, "relu3_2").Draw(image).unsqueeze(0), 1, 0, 8));
        chapter.Figure(P("receptive_field_pool2"), $"Fields of the centre and corner units of pool2 ({ReceptiveField.Find(fields, "pool2").Size} px) on a 28x28 test image.", 280)
            .Figure(P("receptive_field_relu3_2"), $"The same for relu3_2, the last conv layer ({ReceptiveField.Find(fields, "relu3_2").Size} px): each unit sees most of the image.", 280);

        // Filters and feature maps.
        chapter.Heading("First-layer filters and feature maps");
        ImageTensor.Write(P("filters_vgg-gap"), FeatureMaps.FirstLayerFilters(net, 12));
        ImageTensor.Write(P("filters_lenet5"), FeatureMaps.FirstLayerFilters(lenet.Model, 12));
        chapter.Figure(P("filters_vgg-gap"), "VGG-GAP conv1_1: sixteen 3x3 filters, each scaled to its own range.", 260)
            .Figure(P("filters_lenet5"), "LeNet-5 C1: six 5x5 filters.", 260);
        var fmImage = test.Images[1];
        ImageTensor.Write(P("featuremaps_input"), ImageGrid.Tile(fmImage.unsqueeze(0), 1, 0, 6));
        chapter.Figure(P("featuremaps_input"), "The input.", 170);
        foreach (var l in Layers)
        {
            using var scope = NewDisposeScope();
            ImageTensor.Write(P($"featuremaps_{l}"), FeatureMaps.Grid(deconv, fmImage, l, 32, l == "relu3_2" ? 8 : 3, Prep));
            chapter.Figure(P($"featuremaps_{l}"), $"Its feature maps at {l} (the first 32, each scaled to its own range).", 330);
        }

        // Top-9.
        log.WriteLine("[report] inside the network: top-9 activations and deconvnet reconstructions");
        var search = test.Images.narrow(0, 0, Math.Min(test.Count, quick ? 2000 : 10000));
        chapter.Heading("Top-9 activations with deconvnet reconstructions (Zeiler & Fergus, fig. 2)");
        chapter.Paragraph($"For 8 feature maps of each layer, the nine test images (of {search.shape[0]}) that activate it most, each shown as the patch under "
            + "the unit's receptive field (right block) beside the deconvnet reconstruction of that single activation (left block): the switches of the "
            + "forward max-pooling place each value back, ReLU rectifies, and the transposed filters map it to pixels. Lower layers respond to edges and "
            + "strokes, higher layers to parts of garments (collars, sleeves, soles, straps).");
        foreach (var l in Layers)
        {
            using var scope = NewDisposeScope();
            var tops = TopActivations.Collect(deconv, search, l, Enumerable.Range(0, 8).ToList(), 9, prepare: Prep);
            ImageTensor.Write(P($"top9_{l}"), TopActivations.Grid(tops, l == "relu1_2" ? 8 : l == "relu2_2" ? 4 : 2, 4));
            var rf = ReceptiveField.Find(fields, l);
            chapter.Figure(P($"top9_{l}"), $"{l}: receptive field {Math.Min(rf.Size, 28)} px; maps 0–7, captioned with their strongest activation.", 900);
        }

        // Deconvnet vs guided backpropagation.
        chapter.Heading("Deconvnet and guided backpropagation");
        using (var scope = NewDisposeScope())
            ImageTensor.Write(P("deconv_vs_guided"), ReconstructionGrid.Draw(deconv, test.Images.index_select(0, tensor(new long[] { 1, 9 })), Prep, "relu3_2",
                [ReversePath.Deconvnet, ReversePath.GuidedBackpropagation], strongest: 6));
        chapter.Figure(P("deconv_vs_guided"), "The strongest activation of the six most active relu3_2 maps of two test images, mapped to pixels by the deconvnet "
            + "(rows 1 and 3: the reverse ReLU rectifies the signal itself) and by guided backpropagation (rows 2 and 4: it also masks by where the forward pass was "
            + "positive, which gives cleaner, more image-specific pictures).", 900);

        // CAM on Fashion-MNIST.
        chapter.Heading("Class activation maps (Zhou et al. 2016) and Grad-CAM");
        using (var scope = NewDisposeScope())
        {
            var pick = tensor(new long[] { 0, 1, 2, 3, 5, 8, 9, 11 });
            var imgs = test.Images.index_select(0, pick);
            var input = Prep(imgs.to_type(ScalarType.Float32).div(255)).to(net.Classifier.weight.device);
            var cams = ClassActivationMap.Compute(net, input, 3, null, vgg.Spec.ClassNames);
            var (gc, gcClasses) = GradCam.Compute(lenet.Model, "relu3",
                lenet.Spec.Normalize(imgs).to(lenet.Model.parameters().First().device));
            var tiles = new List<Tensor>();
            var captions = new List<Caption>();
            for (int n = 0; n < cams.Count; n++)
            {
                var truth = vgg.Spec.ClassNames[(int)test.Labels[pick[n]].item<long>()];
                tiles.Add(imgs[n].expand(3, -1, -1).unsqueeze(0));
                captions.Add(Caption.Plain(truth));
                foreach (var m in cams[n])
                {
                    var box = m == cams[n][0] ? HeatmapBoxes.FromHeatmap(m.Upsampled) : null;
                    tiles.Add(ClassActivationMap.Draw(imgs[n], m.Upsampled, box).unsqueeze(0));
                    captions.Add(Caption.Plain($"CAM {m.Name} {m.Probability:0.00}"));
                }
                tiles.Add(ClassActivationMap.Draw(imgs[n], gc[n].cpu()).unsqueeze(0));
                captions.Add(Caption.Plain($"Grad-CAM LeNet {lenet.Spec.ClassNames[(int)gcClasses[n].item<long>()]}"));
            }
            ImageTensor.Write(P("cam_fashion"), ImageGrid.Tile(cat(tiles.ToArray(), 0), 5, 3, 5, captions));
        }
        chapter.Paragraph("M_c = Σ_k w_{c,k} f_k over VGG-GAP's last conv maps (7x7), upsampled to the image: its spatial mean plus the class bias is exactly "
            + "the logit (tested). Shown for each image's top three classes, with the box by the paper's rule around the top class; the last column is "
            + "Grad-CAM of LeNet-5 (no GAP layer) at relu3, for its top class.");
        chapter.Figure(P("cam_fashion"), "Columns: the image and its true class; CAMs of the three highest-scoring classes (turbo colours, each map's own range; "
            + "white box from the top class's map); Grad-CAM of LeNet-5.", 900);

        // Weakly supervised localization on scenes.
        log.WriteLine("[report] inside the network: weakly supervised localization on scenes");
        var (run, results) = LocalizationRun.Execute(new LocalizationSettings
        {
            OutputDirectory = Path.Combine(report.Folder, "runs", "localize"), Seed = seed, Quick = quick, Pretrained = net,
            Progress = ProgressMode.Lines, Log = log,
        }, train, test, device);
        var result = run.Test!;
        var figures = results.Figures;
        var options = run.Options;
        var s = options.Scenes;
        chapter.Heading("Weakly supervised localization on scenes");
        chapter.Paragraph($"A VGG-GAP (widths {string.Join("/", options.Widths)}, 3 input channels), started from the Fashion-MNIST VGG-GAP above "
            + "(its first filters spread over the colour channels), as the CAM paper starts from an ImageNet classifier, is fine-tuned on " + $"{options.TrainScenes} generated {s.Width}x{s.Height} scenes "
            + $"of {s.MinItems}–{s.MaxItems} Fashion-MNIST training items (scale {s.MinScale}–{s.MaxScale}, i.e. {28 * s.MinScale:0}–{28 * s.MaxScale:0} px; clutter {s.Clutter}) "
            + $"with image-level labels only: which of the 10 classes are present (multi-label, one sigmoid and binary cross-entropy per class), never where. "
            + $"Scenes are shrunk to {options.InputSize}x{options.InputSize}, so the last conv maps are {options.InputSize / 4}x{options.InputSize / 4} (stride 8 scene pixels). "
            + $"{results.Epochs} epochs, AdamW, cosine schedule, random mirroring; {run.TrainSeconds:F0} s. Then on {options.TestScenes} test scenes made from test items only, "
            + "the CAM of the top-scoring class gives a box by the paper's rule (pixels ≥ 20% of the map's maximum, box around the largest connected component), "
            + "which is right when its IoU with a true box of that class is ≥ 0.5. The baselines box the same class with the central half of the image "
            + $"(64x64) or the whole image. The top class is present in {result.ClassificationTop1:P1} of test scenes.");
        chapter.Table(WeaklySupervisedFigures.TableHeader, WeaklySupervisedFigures.TableRows(result));
        chapter.Figure(figures[0], "Test scenes: left, the scene with its true boxes; right, the CAM of the top class with the CAM box (white) and that class's "
            + "true boxes (green); captions say whether the box is right at IoU ≥ 0.5.", 900)
            .Figure(figures[1], "Scenes with several classes: the CAM of each class present lights up its own item.", 700);
        return run;
    }
}
