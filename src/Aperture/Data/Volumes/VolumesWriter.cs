using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;

namespace Aperture.Data.Volumes;

/// <summary>What <see cref="VolumesWriter.Write"/> wrote.</summary>
/// <param name="Root">The output folder.</param>
/// <param name="Splits">Volume ids per split name.</param>
/// <param name="ClassNames">Class names, class id − 1 = index.</param>
public sealed record VolumeSetSummary(string Root, IReadOnlyDictionary<string, IReadOnlyList<string>> Splits, IReadOnlyList<string> ClassNames);

/// <summary>
/// Generates volumes and writes them in the Medical Segmentation Decathlon's layout, so that <see cref="VolumeDataset"/>
/// reads them with the same code as a user's own NIfTI data:
/// <code>
/// imagesTr/vol_000000.nii.gz   intensities, float32 [D, H, W], 1 mm isotropic
/// labelsTr/vol_000000.nii.gz   labels, uint8, 0 background, class ids 1..K
/// dataset.json                 "labels" {"0": "background", "1": ...}, "training" [{"image", "label"}],
///                              "splits" {"train": [ids], "val": [...], "test": [...]} (Aperture's addition), "generator"
/// </code>
/// </summary>
public static class VolumesWriter
{
    /// <summary>Generates <paramref name="count"/> volumes with <paramref name="seed"/> and writes them (in parallel, each file atomically).</summary>
    /// <param name="outDir">Output folder (created if missing).</param>
    /// <param name="count">Number of volumes.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="options">Generator parameters (defaults when null).</param>
    /// <param name="splits">Train/val/test fractions (0.8/0.1/0.1 when null).</param>
    public static VolumeSetSummary Write(string outDir, int count, long seed, VolumeOptions? options = null, SceneSplits? splits = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of volumes must be at least 1");
        var generator = new VolumeGenerator(seed, options);
        var parts = (splits ?? new SceneSplits()).Assign(count);
        OutputFolder.Create(Path.Combine(outDir, "imagesTr"));
        OutputFolder.Create(Path.Combine(outDir, "labelsTr"));
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
        {
            var v = generator.Generate(i);
            using var image = v.ImageTensor();
            using var labels = v.LabelTensor();
            NiftiFile.Write(Path.Combine(outDir, "imagesTr", Id(i) + ".nii.gz"), image);
            NiftiFile.Write(Path.Combine(outDir, "labelsTr", Id(i) + ".nii.gz"), labels);
        });
        var labelsNode = new JsonObject { ["0"] = "background" };
        for (int c = 0; c < generator.ClassNames.Count; c++) labelsNode[(c + 1).ToString()] = generator.ClassNames[c];
        var splitIds = parts.ToDictionary(p => p.Name, p => (IReadOnlyList<string>)Enumerable.Range(p.Start, p.Count).Select(Id).ToList());
        var json = new JsonObject
        {
            ["name"] = "aperture-volumes",
            ["description"] = "synthetic 3-D segmentation volumes (Aperture's volume generator)",
            ["tensorImageSize"] = "3D",
            ["modality"] = new JsonObject { ["0"] = "synthetic" },
            ["labels"] = labelsNode,
            ["numTraining"] = count,
            ["training"] = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode)new JsonObject
            {
                ["image"] = $"./imagesTr/{Id(i)}.nii.gz",
                ["label"] = $"./labelsTr/{Id(i)}.nii.gz",
            }).ToArray()),
            ["splits"] = JsonSerializer.SerializeToNode(splitIds),
            ["generator"] = new JsonObject { ["seed"] = seed, ["options"] = JsonSerializer.SerializeToNode(generator.Options) },
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, VolumeDataset.IndexFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new VolumeSetSummary(Path.GetFullPath(outDir), splitIds, generator.ClassNames);
    }

    /// <summary>The id of volume <paramref name="i"/>: <c>vol_000000</c>.</summary>
    public static string Id(int i) => $"vol_{i:D6}";
}
