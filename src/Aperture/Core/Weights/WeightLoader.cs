using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// Loads weights trained elsewhere (PyTorch <c>state_dict</c> <c>.pt</c>, <c>.safetensors</c>, or another Aperture
/// checkpoint) into an Aperture model by parameter name, with a <see cref="WeightNameMap"/> where the layouts differ.
/// </summary>
/// <remarks>
/// Like PyTorch's <c>load_state_dict</c>: in strict mode every model tensor must be in the file and every file tensor in the
/// model; in either mode a tensor whose shape differs is an error. Nothing is copied unless everything fits, so a
/// failed load leaves the model as it was. Values are cast to the model's dtype (e.g. float64 to float32).
/// <code>var net = new LeNet5(10); WeightLoader.Load(net, "lenet5.pt");</code>
/// </remarks>
public static class WeightLoader
{
    /// <summary>How many names each list in an error message shows before "and N more".</summary>
    private const int ListedNames = 12;

    /// <summary>Loads <paramref name="path"/> into <paramref name="module"/> (parameters and buffers, by name).</summary>
    /// <param name="module">The model to fill; it stays on its device.</param>
    /// <param name="path">A <c>.pt</c>/<c>.pth</c> state_dict, a <c>.safetensors</c> file or an Aperture checkpoint.</param>
    /// <param name="map">Renames file tensors to model names (default: none).</param>
    /// <param name="strict">Require the names to match exactly (after the map); else load what matches and report the rest.</param>
    /// <exception cref="InvalidDataException">The file is damaged, or its tensors do not fit the model: the message names the
    /// file and lists the missing, unexpected and wrongly shaped tensors.</exception>
    public static WeightsLoadReport Load(nn.Module module, string path, WeightNameMap? map = null, bool strict = true)
    {
        var tensors = WeightsFile.Read(path);
        try
        {
            return Load(module, tensors, Path.GetFullPath(path), map ?? WeightNameMap.Identity, strict);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Loads named tensors into <paramref name="module"/>; <paramref name="source"/> names them in messages.</summary>
    /// <exception cref="InvalidDataException">They do not fit the model (see <see cref="Load(nn.Module, string, WeightNameMap?, bool)"/>).</exception>
    public static WeightsLoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source, WeightNameMap map, bool strict = true)
    {
        var target = module.state_dict();
        var renamed = new Dictionary<string, (string FileName, Tensor Tensor)>();
        var dropped = new List<string>();
        var duplicates = new List<string>();
        foreach (var (name, tensor) in tensors)
        {
            string? to = map.Map(name);
            if (to is null) { dropped.Add(name); continue; }
            if (renamed.TryGetValue(to, out var first)) duplicates.Add($"{string.Join(" and ", new[] { first.FileName, name }.Order(StringComparer.Ordinal))} -> {to}");
            else renamed[to] = (name, tensor);
        }
        var missing = target.Keys.Where(k => !renamed.ContainsKey(k)).ToList();
        // Messages list names in the model's order, and the file's extra names sorted: a .pt file's order is not kept.
        var unexpected = renamed.Where(kv => !target.ContainsKey(kv.Key)).Select(kv => Named(kv.Value.FileName, kv.Key)).Order(StringComparer.Ordinal).ToList();
        var wrongShape = target.Where(kv => renamed.TryGetValue(kv.Key, out var f) && !kv.Value.shape.SequenceEqual(f.Tensor.shape))
            .Select(kv => $"{Named(renamed[kv.Key].FileName, kv.Key)}: file [{string.Join(", ", renamed[kv.Key].Tensor.shape)}], model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        var problems = new List<string>();
        if (duplicates.Count > 0) problems.Add(List("mapped to the same name", duplicates));
        if (strict && missing.Count > 0) problems.Add(List("missing from the file", missing));
        if (strict && unexpected.Count > 0) problems.Add(List("not in the model", unexpected));
        if (wrongShape.Count > 0) problems.Add(List("wrongly shaped", wrongShape));
        if (problems.Count > 0)
            throw new InvalidDataException($"weights file '{source}' does not fit {module.GetName()} ({target.Count} tensors): {string.Join("; ", problems)}. "
                + "Rename or drop tensors with a name map (e.g. features.0.=c1. or -output.), or load non-strictly to keep what is missing");

        var loaded = new List<string>();
        using (no_grad())
        {
            foreach (var (name, t) in target)
            {
                if (!renamed.TryGetValue(name, out var src)) continue;
                t.copy_(src.Tensor);
                loaded.Add(name);
            }
        }
        return new WeightsLoadReport(source, loaded, missing, unexpected, dropped);
    }

    private static string Named(string fileName, string modelName) => fileName == modelName ? fileName : $"{fileName} (as {modelName})";

    private static string List(string what, IReadOnlyList<string> names) =>
        $"{names.Count} {what}: {string.Join(", ", names.Take(ListedNames))}{(names.Count > ListedNames ? $", and {names.Count - ListedNames} more" : "")}";
}
