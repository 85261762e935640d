using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// Writes the weights of any Aperture checkpoint as a <c>.safetensors</c> file that PyTorch loads with
/// <c>model.load_state_dict(...)</c>: tensor names are the model's parameter and buffer names (<c>c1.weight</c>, …).
/// </summary>
public static class CheckpointExport
{
    /// <summary>Exports a checkpoint's (or run folder's) weights.</summary>
    /// <param name="checkpointOrRun">A checkpoint file, or a run folder (its best checkpoint).</param>
    /// <param name="outPath">The <c>.safetensors</c> file to write (atomically).</param>
    /// <param name="module">One module to export under its own names (e.g. <c>generator</c>); null: the checkpoint's only
    /// module, or, when it holds several, all of them with their module name as prefix (<c>discriminator.c1.weight</c>).</param>
    /// <param name="map">Renames Aperture names to the names the other side expects (default: none).</param>
    /// <returns>The names and shapes written, in order.</returns>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">A damaged checkpoint, or no module of that name.</exception>
    public static IReadOnlyList<(string Name, long[] Shape)> ToSafetensors(string checkpointOrRun, string outPath, string? module = null, WeightNameMap? map = null)
    {
        string path = RunFolder.Checkpoint(checkpointOrRun);
        var info = Checkpoint.ReadInfo(path);
        var modules = module is not null ? [module] : info.ModuleNames;
        bool prefix = module is null && modules.Count > 1;
        var all = new Dictionary<string, Tensor>();
        try
        {
            foreach (string m in modules)
                foreach (var (name, t) in Checkpoint.ReadModuleState(path, m))
                {
                    string? to = (map ?? WeightNameMap.Identity).Map(prefix ? $"{m}.{name}" : name);
                    if (to is null) { t.Dispose(); continue; }
                    if (!all.TryAdd(to, t))
                    {
                        t.Dispose();
                        throw new ArgumentException($"the name map gives two tensors of '{path}' the same name '{to}'");
                    }
                }
            SafetensorsFile.Write(outPath, all);
            return all.Select(kv => (kv.Key, kv.Value.shape)).ToList();
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }
}
