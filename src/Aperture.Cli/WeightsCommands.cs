using System.CommandLine;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Core.Weights;
using Aperture.Data;

namespace Aperture.Cli;

/// <summary><c>aperture weights import|export|show</c>: PyTorch weights in and out.</summary>
internal static class WeightsCommands
{
    public static void AddTo(RootCommand root)
    {
        var weights = new Command("weights", "PyTorch weights in and out: import a state_dict (.pt) or .safetensors file as a run, export any checkpoint as .safetensors.");
        weights.Add(Import());
        weights.Add(Export());
        weights.Add(Show());
        root.Add(weights);
    }

    private static Option<string?> MapOption() => new("--map")
    {
        Description = "Name-map file: one rule per line, from=to (conv1.weight=c1.weight), prefix.=prefix. (features.0.=c1.), module.= (strip), -name or -prefix. (drop)",
    };

    private static Option<string[]> RenameOption() => new("--rename")
    {
        Description = "A name-map rule on the command line (repeatable), applied after --map's",
        AllowMultipleArgumentsPerToken = false,
    };

    private static WeightNameMap Map(ParseResult r, Option<string?> map, Option<string[]> rename)
    {
        var fromFile = r.GetValue(map) is { } path ? WeightNameMap.Load(path) : WeightNameMap.Identity;
        return fromFile.Then(WeightNameMap.Parse(r.GetValue(rename) ?? []));
    }

    private static Command Import()
    {
        var file = new Argument<string>("file") { Description = "A PyTorch state_dict (.pt/.pth, torch.save) or a .safetensors file" };
        var model = new Option<string>("--model", "-m") { Description = $"The architecture the weights are for: {string.Join(", ", Classifiers.Names)}", Required = true };
        var classes = new Option<string?>("--classes") { Description = "Class names, comma-separated, in label order (default: the 10 Fashion-MNIST classes)" };
        var channels = new Option<int>("--channels") { Description = "Input channels (1 grey, 3 colour)", DefaultValueFactory = _ => 1 };
        var mean = new Option<float>("--mean") { Description = "Mean subtracted from pixels in [0, 1] when the weights were trained", DefaultValueFactory = _ => 0f };
        var std = new Option<float>("--std") { Description = "Standard deviation pixels were divided by when the weights were trained", DefaultValueFactory = _ => 1f };
        var nonStrict = new Option<bool>("--non-strict") { Description = "Load the tensors that match and keep fresh values for the missing ones (shapes must still match)" };
        var map = MapOption();
        var rename = RenameOption();
        var cmd = Cli.Command("import", "Import classifier weights trained in PyTorch as an Aperture run folder (RUN/checkpoints/best.ckpt with its model card), "
            + "matched by parameter name; eval, predict, cam and visualize then take --model RUN. Names that differ are mapped with --map/--rename; "
            + "a file that does not fit lists its missing, unexpected and wrongly shaped tensors.",
            "aperture weights import lenet5.pt --model lenet5 --out runs/from-pytorch");
        foreach (var o in new Option[] { model, classes, channels, mean, std, nonStrict, map, rename }) cmd.Add(o);
        cmd.Add(file);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            string outRun = r.GetValue(CommonOptions.Out) ?? throw new ArgumentException("weights import needs --out RUN, the run folder to write");
            var names = r.GetValue(classes) is { } c ? c.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : FashionMnist.ClassNames.ToArray();
            if (names.Length < 2) throw new ArgumentException($"--classes gives {names.Length} class; a classifier needs at least 2");
            if (r.GetValue(channels) is < 1 or > ModelCard.MaxChannels) throw new ArgumentException($"--channels must be 1 to {ModelCard.MaxChannels}");
            if (!(r.GetValue(std) > 0)) throw new ArgumentException("--std must be positive");
            var method = Classifiers.Find(r.GetValue(model)!);
            var spec = new ClassifierSpec(method.Name, names, r.GetValue(channels), method.InputSize, r.GetValue(mean), r.GetValue(std));
            var (checkpoint, report) = ClassifierImport.Run(r.GetValue(file)!, spec, outRun, Map(r, map, rename), strict: !r.GetValue(nonStrict));
            if (r.GetValue(CommonOptions.Json))
                Output.Json(new { checkpoint, report.File, loaded = report.Loaded, missing = report.Missing, unexpected = report.Unexpected, dropped = report.Dropped });
            else
            {
                Output.Line($"{report.File}: loaded {report.Loaded.Count} tensors into {spec.Model} ({names.Length} classes)");
                if (report.Missing.Count > 0) Output.Line($"kept fresh (not in the file): {string.Join(", ", report.Missing)}");
                if (report.Unexpected.Count > 0) Output.Line($"ignored (not in the model): {string.Join(", ", report.Unexpected)}");
                Output.Line($"wrote {checkpoint}; try: aperture eval --model {outRun}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Export()
    {
        var model = new Option<string>("--model", "-m") { Description = "A checkpoint file, or a run folder (its checkpoints/best.ckpt is used)", Required = true };
        var module = new Option<string?>("--module") { Description = "Export only this module of the checkpoint under its own names (e.g. generator); default: its only module, or all as module.name" };
        var map = MapOption();
        var rename = RenameOption();
        var cmd = Cli.Command("export", "Write a checkpoint's weights (any model: classifier, detector, segmenter, density model, GAN) as a .safetensors file "
            + "that PyTorch loads into the same architecture with load_state_dict; names are the model's (c1.weight, ...), renamed with --map/--rename.",
            "aperture weights export --model runs/lenet5 --out lenet5.safetensors");
        foreach (var o in new Option[] { model, module, map, rename }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            string outFile = r.GetValue(CommonOptions.Out) ?? throw new ArgumentException("weights export needs --out FILE.safetensors");
            if (Directory.Exists(outFile) || !outFile.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {outFile}: give the file to write, ending in .safetensors");
            var written = CheckpointExport.ToSafetensors(r.GetValue(model)!, outFile, r.GetValue(module), Map(r, map, rename));
            if (r.GetValue(CommonOptions.Json))
                Output.Json(new { file = Path.GetFullPath(outFile), tensors = written.Select(w => new { name = w.Name, shape = w.Shape }) });
            else
                Output.Line($"wrote {written.Count} tensors ({written.Sum(w => w.Shape.Aggregate(1L, (a, b) => a * b)):N0} values) to {Path.GetFullPath(outFile)}");
            return 0;
        });
        return cmd;
    }

    private static Command Show()
    {
        var file = new Argument<string>("file") { Description = "A .pt/.pth state_dict, a .safetensors file or an Aperture checkpoint" };
        var cmd = Cli.Command("show", "List the tensors of a weights file (name, dtype, shape): what a name map has to match.",
            "aperture weights show lenet5.pt");
        cmd.Add(file);
        cmd.SetAction(r =>
        {
            var tensors = WeightsFile.Read(r.GetValue(file)!);
            try
            {
                var rows = tensors.Select(kv => (kv.Key, Dtype: kv.Value.dtype.ToString(), Shape: kv.Value.shape)).ToList();
                if (r.GetValue(CommonOptions.Json))
                    Output.Json(rows.Select(x => new { name = x.Key, dtype = x.Dtype, shape = x.Shape }));
                else
                    Output.Table(Path.GetFullPath(r.GetValue(file)!), ["name", "dtype", "shape"],
                        rows.Select(x => (IReadOnlyList<string>)[x.Key, x.Dtype, $"[{string.Join(", ", x.Shape)}]"]));
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            return 0;
        });
        return cmd;
    }
}
