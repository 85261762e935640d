using System.CommandLine;
using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Imaging;
using Aperture.Localization;
using Aperture.Nn;
using Aperture.Ops;
using Aperture.Training;
using Aperture.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture visualize …</c>, <c>aperture cam</c> and <c>aperture localize</c>: looking inside trained networks.</summary>
internal static class VisualizeCommands
{
    public static void AddTo(RootCommand root)
    {
        var visualize = new Command("visualize", "Look inside a classifier trained by 'aperture train classify': receptive fields, filters, feature maps, deconvnet reconstructions, top-9 patches. PNGs go to --out.");
        visualize.Add(ReceptiveFieldVerb());
        visualize.Add(Filters());
        visualize.Add(FeatureMapsVerb());
        visualize.Add(Deconv());
        visualize.Add(Top9());
        root.Add(visualize);
        root.Add(Cam());
        root.Add(Localize());
    }

    private static Option<string> ModelOption() => new("--model", "-m")
    {
        Description = "A checkpoint of 'aperture train classify', or its run folder (checkpoints/best.ckpt is used)",
        Required = true,
    };

    private static Option<string?> LayerOption(string what) => new("--layer", "-l") { Description = what };

    private static Option<string?> ImageOption() => new("--image", "-i")
    {
        Description = "A PNG/JPEG file (resized to the model's input); default: a Fashion-MNIST test image (--index)",
    };

    private static Option<int> IndexOption() => new("--index") { Description = "Which Fashion-MNIST test image when no --image is given", DefaultValueFactory = _ => 0 };

    private static Option<bool> InvertOption() => new("--invert") { Description = "Invert grey levels of --image first (dark items on light ground)" };

    /// <summary>A loaded classifier with what every verb needs.</summary>
    private sealed record Loaded(nn.Module<Tensor, Tensor> Model, ClassifierSpec Spec, string Checkpoint, string OutDir)
    {
        /// <summary>Float [0, 1] batch to the network's input.</summary>
        public Tensor Prepare(Tensor unit) => unit.sub(Spec.Mean).div(Spec.Std);

        public Deconvnet Deconv() => new(Model);

        /// <summary>The layers a --layer option accepts (the convolutional part).</summary>
        public IReadOnlyList<string> LayerNames => NetworkLayers.ConvolutionalPart(Model).Select(l => l.Name).ToList();

        public string CheckLayer(string? layer)
        {
            var names = LayerNames;
            if (layer is null) return names[^1];
            if (!names.Contains(layer))
                throw new ArgumentException($"{Spec.Model} has no layer '{layer}'; valid layers: {string.Join(", ", names)}");
            return layer;
        }
    }

    private static Loaded Load(ParseResult r, Option<string> model, string verb)
    {
        string ckpt = RunFolder.Checkpoint(r.GetValue(model)!);
        var (net, spec) = ClassifierSpec.Load(ckpt);
        string outDir = CommonOptions.OutDir(r, Path.Combine(RunFolder.Of(ckpt), verb));
        Aperture.Core.OutputFolder.Create(outDir);
        return new Loaded(net, spec, ckpt, outDir);
    }

    /// <summary>One image <c>uint8 [C, S, S]</c> at the model's input size: a file, or a test image.</summary>
    private static (Tensor Image, string Name) PickImage(ParseResult r, Loaded m, Option<string?> image, Option<int> index, Option<bool> invert)
    {
        if (r.GetValue(image) is string path) return (m.Spec.ReadImage(path, r.GetValue(invert)), Path.GetFileNameWithoutExtension(path));
        using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
        int i = r.GetValue(index);
        if (i < 0 || i >= test.Count) throw new ArgumentException($"--index {i} is outside the {test.Count} test images (0 … {test.Count - 1})");
        return (test.Images[i].clone().DetachFromDisposeScope(), $"test{i}-{test.ClassNames[(int)test.Labels[i].item<long>()].Replace('/', '-')}");
    }

    private static Tensor Unit(Tensor image) => image.to_type(ScalarType.Float32).div(255);

    private static void Done(ParseResult r, string what, IReadOnlyList<string> files)
    {
        if (r.GetValue(CommonOptions.Json)) Output.Json(new { result = what, files });
        else Output.Line($"{what}: {string.Join(", ", files)}");
    }

    private static Command ReceptiveFieldVerb()
    {
        var model = ModelOption();
        var layer = LayerOption("Layer whose fields are drawn (default: the last layer of the convolutional part)");
        var image = ImageOption();
        var index = IndexOption();
        var invert = InvertOption();
        var cmd = Cli.Command("receptive-field",
            "Print every layer's receptive field (size, jump, start, map size) and draw the fields of the centre and corner units of one layer over an image.",
            "aperture visualize receptive-field --model runs/vgg-gap --layer pool2 --out pictures");
        foreach (var o in new Option[] { model, layer, image, index, invert }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Load(r, model, "visualize");
            var fields = ReceptiveField.Of(m.Model, m.Spec.InputSize);
            string l = m.CheckLayer(r.GetValue(layer));
            var (img, name) = PickImage(r, m, image, index, invert);
            var drawn = ReceptiveField.Find(fields, l).Draw(img);
            string png = Path.Combine(m.OutDir, $"receptive_field_{l}_{name}.png");
            ImageTensor.Write(png, ImageGrid.Tile(drawn.unsqueeze(0), 1, 0, 512 / m.Spec.InputSize));
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { model = m.Spec.Model, input_size = m.Spec.InputSize, layers = fields, png });
            else
            {
                Output.Table($"{m.Spec.Model}: receptive fields for {m.Spec.InputSize}x{m.Spec.InputSize} inputs", new[] { "layer", "kind", "size", "jump", "start", "map" },
                    fields.Select(f => (IReadOnlyList<string>)new[] { f.Name, f.Kind.ToString(), f.Size.ToString(), f.Jump.ToString(),
                        f.Start.ToString("0.#", CultureInfo.InvariantCulture), f.MapSize?.ToString() ?? "-" }));
                Output.Line($"fields of {l}'s centre and corner units: {png}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Filters()
    {
        var model = ModelOption();
        var cmd = Cli.Command("filters", "Draw the first convolution's filters as an image grid, each scaled to its own range.",
            "aperture visualize filters --model runs/vgg-gap --out pictures");
        cmd.Add(model);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Load(r, model, "visualize");
            string png = Path.Combine(m.OutDir, $"filters_{m.Spec.Model}.png");
            ImageTensor.Write(png, FeatureMaps.FirstLayerFilters(m.Model, 12));
            Done(r, $"{m.Spec.Model}: first-layer filters", new[] { png });
            return 0;
        });
        return cmd;
    }

    private static Command FeatureMapsVerb()
    {
        var model = ModelOption();
        var layer = LayerOption("One layer (default: every layer of the convolutional part, one PNG each)");
        var image = ImageOption();
        var index = IndexOption();
        var invert = InvertOption();
        var cmd = Cli.Command("featuremaps", "Draw the feature maps of one image at each layer (each map scaled to its own range).",
            "aperture visualize featuremaps --model runs/vgg-gap --image shirt.png --invert --layer relu2_2 --out pictures");
        foreach (var o in new Option[] { model, layer, image, index, invert }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Load(r, model, "visualize");
            var layers = r.GetValue(layer) is string one ? new List<string> { m.CheckLayer(one) } : m.LayerNames.ToList();
            var (img, name) = PickImage(r, m, image, index, invert);
            var deconv = m.Deconv();
            var files = new List<string>();
            string input = Path.Combine(m.OutDir, $"input_{name}.png");
            ImageTensor.Write(input, ImageGrid.Tile(img.unsqueeze(0), 1, 0, 4));
            files.Add(input);
            foreach (string l in layers)
            {
                using var scope = NewDisposeScope();
                string png = Path.Combine(m.OutDir, $"featuremaps_{l}_{name}.png");
                ImageTensor.Write(png, FeatureMaps.Grid(deconv, img, l, 64, 3, m.Prepare));
                files.Add(png);
            }
            Done(r, $"{m.Spec.Model}: feature maps of {name}", files);
            return 0;
        });
        return cmd;
    }

    private static Command Deconv()
    {
        var model = ModelOption();
        var layer = LayerOption("Layer of the activation (default: the last layer of the convolutional part)");
        var channel = new Option<int?>("--channel", "-c") { Description = "Feature map to reconstruct (default: the image's 8 strongest maps)" };
        var method = new Option<string[]>("--method") { Description = "deconvnet (Zeiler & Fergus), guided (guided backpropagation) or gradient; repeat for several", DefaultValueFactory = _ => new[] { "deconvnet", "guided" }, AllowMultipleArgumentsPerToken = true };
        var image = ImageOption();
        var index = IndexOption();
        var invert = InvertOption();
        var cmd = Cli.Command("deconv",
            "Zeiler & Fergus deconvnet: keep the strongest activation of a feature map, zero the rest, and map it back to pixels (unpool with switches, rectify, transposed convolution). One row per method: the image, then one reconstruction per map.",
            "aperture visualize deconv --model runs/vgg-gap --layer relu3_2 --method deconvnet guided --out pictures");
        foreach (var o in new Option[] { model, layer, channel, method, image, index, invert }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Load(r, model, "visualize");
            string l = m.CheckLayer(r.GetValue(layer));
            var paths = r.GetValue(method)!.Select(ReconstructionGrid.Parse).Distinct().ToList();
            var (img, name) = PickImage(r, m, image, index, invert);
            using var scope = NewDisposeScope();
            string png = Path.Combine(m.OutDir, $"deconv_{l}_{name}.png");
            ImageTensor.Write(png, ReconstructionGrid.Draw(m.Deconv(), img.unsqueeze(0), m.Prepare, l, paths, r.GetValue(channel)));
            Done(r, $"{m.Spec.Model}: reconstructions of {l}'s strongest activations", new[] { png });
            return 0;
        });
        return cmd;
    }

    private static Command Top9()
    {
        var model = ModelOption();
        var layer = LayerOption("Layer (default: the last layer of the convolutional part)");
        var channels = new Option<int[]>("--channel", "-c") { Description = "Feature maps to show (default: the first 8)", AllowMultipleArgumentsPerToken = true };
        var top = new Option<int>("--top") { Description = "Activations per map (9 in the paper)", DefaultValueFactory = _ => 9 };
        var count = new Option<int>("--images") { Description = "Search the first this many Fashion-MNIST test images (0: all)", DefaultValueFactory = _ => 0 };
        var method = new Option<string>("--method") { Description = "deconvnet, guided or gradient", DefaultValueFactory = _ => "deconvnet" };
        var cmd = Cli.Command("top9",
            "Over the Fashion-MNIST test set, the strongest activations of each chosen feature map: deconvnet reconstructions (left block) beside the image patches under each unit's receptive field (right block), as in Zeiler & Fergus fig. 2.",
            "aperture visualize top9 --model runs/vgg-gap --layer relu2_2 --channel 0 1 2 3 --out pictures");
        foreach (var o in new Option[] { model, layer, channels, top, count, method }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Load(r, model, "visualize");
            string l = m.CheckLayer(r.GetValue(layer));
            var deconv = m.Deconv();
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            int n = r.GetValue(count) is > 0 and var c ? (int)Math.Min(c, test.Count) : (int)test.Count;
            using var scope = NewDisposeScope();
            var images = test.Images.narrow(0, 0, n);
            var chosen = r.GetValue(channels) is { Length: > 0 } given ? given.ToList() : Enumerable.Range(0, 8).ToList();
            var tops = TopActivations.Collect(deconv, images, l, chosen, r.GetValue(top), prepare: m.Prepare, path: ReconstructionGrid.Parse(r.GetValue(method)!));
            var rf = ReceptiveField.Find(ReceptiveField.Of(m.Model, m.Spec.InputSize), l);
            string png = Path.Combine(m.OutDir, $"top9_{l}.png");
            ImageTensor.Write(png, TopActivations.Grid(tops, Math.Max(1, 56 / Math.Min(rf.Size, m.Spec.InputSize)), 4));
            Done(r, $"{m.Spec.Model}: top-{r.GetValue(top)} activations of {l} over {n} test images", new[] { png });
            return 0;
        });
        return cmd;
    }

    private static Command Cam()
    {
        var model = ModelOption();
        var cls = new Option<string?>("--class") { Description = "Map this class (name or index) instead of the top ones" };
        var top = new Option<int>("--top", "-k") { Description = "How many top classes to map per image", DefaultValueFactory = _ => 3 };
        var method = new Option<string>("--method") { Description = "cam (class activation map; needs a GAP network: vgg-gap) or gradcam (any network; with --layer)", DefaultValueFactory = _ => "cam" };
        var layer = LayerOption("Grad-CAM layer (default: the last layer of the convolutional part)");
        var invert = InvertOption();
        var cmd = Cli.Command("cam",
            "Class activation maps (Zhou et al. 2016) of image files for their top-k classes (or --class), overlaid as heatmaps with the box from the 20% rule; Grad-CAM with --method gradcam. Results in <out>/class-maps.json.",
            "aperture cam shirt.png shoe.jpg --model runs/vgg-gap --top 3 --out cams");
        var inputs = new BatchInputs(cmd, "PNG or JPEG files");
        foreach (var o in new Option[] { model, cls, top, method, layer, invert }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var batch = inputs.Plan(r, "class-maps");
            var m = Load(r, model, "cam");
            string how = r.GetValue(method)!.Trim().ToLowerInvariant();
            var kind = how switch { "cam" => ClassMapMethod.Cam, "gradcam" => ClassMapMethod.GradCam, _ => throw new ArgumentException($"--method '{how}' is not one of: cam, gradcam") };
            m.Model.to(device);
            var results = new List<ImageClassMapsResult>();
            var paths = batch.Images;
            using (var progress = paths.Count > 1 ? CommonOptions.Progress(r) : ProgressReporter.Quiet)
            {
                var task = progress.Start("cam", paths.Count);
                foreach (string path in paths)
                {
                    var res = ImageClassMaps.Run(m.Model, m.Spec, path, kind, r.GetValue(layer), r.GetValue(cls), r.GetValue(top), r.GetValue(invert), m.OutDir);
                    results.Add(res);
                    batch.Add(res);
                    task.Advance();
                    string line = $"{path}: {string.Join(", ", res.Maps.Select(c => $"{c.Class} {c.Probability.ToString("0.000", CultureInfo.InvariantCulture)}"))} -> {res.Png}";
                    if (paths.Count == 1 && !r.GetValue(CommonOptions.Json)) Output.Line(line);
                    else progress.Item(line);
                }
                task.Done();
            }
            string written = batch.Write(m.OutDir);
            if (r.GetValue(CommonOptions.Json)) Output.Json(results);
            else if (paths.Count > 1 || !batch.Shard.IsWhole) Output.Line(BatchInputs.Describe(batch, written));
            return 0;
        });
        return cmd;
    }

    private static Command Localize()
    {
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs (default 12; 6 with --quick)" };
        var batch = new Option<int>("--batch-size") { Description = "Mini-batch size", DefaultValueFactory = _ => 32 };
        var clutter = new Option<double?>("--clutter") { Description = "Background clutter in [0, 1] (default: the experiment's)" };
        var minScale = new Option<double?>("--min-scale") { Description = "Smallest item scale (28 px times this; default: the experiment's)" };
        var widths = new Option<int[]>("--widths") { Description = "Channels of VGG-GAP's three stages (default 32 64 128; 16 32 64 with --quick)", AllowMultipleArgumentsPerToken = true };
        var trainScenes = new Option<int?>("--train-scenes") { Description = "Training scenes (default 6000; 1500 with --quick)" };
        var testScenes = new Option<int?>("--test-scenes") { Description = "Test scenes, made from test items (default 500; 300 with --quick)" };
        var maxItems = new Option<int>("--max-items") { Description = "Most items per scene", DefaultValueFactory = _ => 3 };
        var lr = new Option<double>("--lr") { Description = "Learning rate (AdamW, cosine schedule)", DefaultValueFactory = _ => 2e-3 };
        var init = new Option<string?>("--init") { Description = "Start from a vgg-gap classifier trained by 'aperture train classify' (checkpoint or run folder; its widths are used), as the CAM paper starts from an ImageNet classifier" };
        var quick = new Option<bool>("--quick") { Description = "Fewer scenes, narrower network, fewer epochs (about 40 s)" };
        var cmd = Cli.Command("localize",
            "Weakly supervised localization (Zhou et al. 2016): train VGG-GAP on scenes with image-level labels only (multi-label, sigmoid BCE), "
            + "then box each test scene's top class from its class activation map (20% of the max, largest component) and score it at IoU >= 0.5 "
            + "against the true boxes, beside a centre-box and a full-image baseline.",
            "aperture localize --epochs 12 --out runs/localize");
        foreach (var o in new Option[] { init, epochs, batch, clutter, minScale, widths, trainScenes, testScenes, maxItems, lr, quick }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            bool json = r.GetValue(CommonOptions.Json);
            bool q = r.GetValue(quick);
            var options = q ? WeaklySupervisedOptions.Quick : new WeaklySupervisedOptions();
            options = options with
            {
                TrainScenes = r.GetValue(trainScenes) ?? options.TrainScenes,
                TestScenes = r.GetValue(testScenes) ?? options.TestScenes,
                Scenes = options.Scenes with { MaxItems = r.GetValue(maxItems), Clutter = r.GetValue(clutter) ?? options.Scenes.Clutter, MinScale = r.GetValue(minScale) ?? options.Scenes.MinScale },
                Widths = r.GetValue(widths) is { Length: > 0 } w ? w : options.Widths,
                BatchSize = r.GetValue(batch),
            };
            VggGap? pretrained = null;
            if (r.GetValue(init) is string initArg)
            {
                var (net, spec) = ClassifierSpec.Load(initArg);
                pretrained = net as VggGap ?? throw new ArgumentException($"{initArg}: --init needs a vgg-gap classifier, this is {spec.Model}");
            }
            using var trainItems = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var testItems = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            var progress = CommonOptions.Progress(r);
            var (run, results) = LocalizationRun.Execute(new LocalizationSettings
            {
                OutputDirectory = CommonOptions.OutDir(r, Path.Combine("runs", "localize")), Seed = r.GetValue(CommonOptions.Seed), Options = options, Quick = q,
                Epochs = r.GetValue(epochs), LearningRate = r.GetValue(lr), Pretrained = pretrained,
                Progress = ProgressMode.Auto, Log = progress.Log,
            }, trainItems, testItems, device);
            progress.Dispose();
            if (json) Output.Json(results);
            else
            {
                Output.Line(run.Training.Message);
                Output.Table($"localization accuracy at IoU >= 0.5 on {results.TestScenes} test scenes (top-1 class right: {results.ClassificationTop1.ToString("P1", CultureInfo.InvariantCulture)})",
                    WeaklySupervisedFigures.TableHeader, WeaklySupervisedFigures.TableRows(run.Test!));
                Output.Line($"figures: {string.Join(", ", results.Figures)}");
            }
            return 0;
        });
        return cmd;
    }
}
