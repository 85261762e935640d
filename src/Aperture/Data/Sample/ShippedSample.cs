using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Data.Sample;

/// <summary>
/// The small stratified sample of a dataset shipped inside Aperture.dll (as embedded IDX <c>.gz</c>
/// resources), so that commands run where the full dataset is absent, and the code that made it.
/// </summary>
/// <remarks>
/// To regenerate the Fashion-MNIST sample from the full files (e.g. Debian's), run
/// <c>APERTURE_REGENERATE_SAMPLE=1 dotnet test --filter ShippedSampleTests</c>: it calls
/// <see cref="Generate"/> with the fixed seed <see cref="Seed"/> and writes into
/// <c>src/Aperture/Data/Sample/fashion-mnist/</c>; without the variable the same test only checks
/// that the shipped files equal what the generator makes.
/// </remarks>
internal static class ShippedSample
{
    /// <summary>The seed the shipped sample was drawn with.</summary>
    public const int Seed = 2017;

    /// <summary>Loads a split of the sample of <paramref name="spec"/> from the embedded resources.</summary>
    /// <exception cref="FileNotFoundException">No sample of this dataset is embedded.</exception>
    public static LabeledImages Load(IdxDatasetSpec spec, DatasetSplit split, string source)
    {
        var (imagesName, labelsName) = IdxDatasetSpec.FileNames(split);
        using var scope = NewDisposeScope();
        var images = ReadResource(spec, imagesName + ".gz");
        var labels = ReadResource(spec, labelsName + ".gz");
        var (x, y) = DatasetLocator.Assemble(images, ResourceName(spec, imagesName + ".gz"), labels, ResourceName(spec, labelsName + ".gz"), spec.ClassNames.Count);
        return new LabeledImages(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), spec.ClassNames, source);
    }

    private static string ResourceName(IdxDatasetSpec spec, string file) =>
        (spec.SampleResourcePrefix ?? throw new FileNotFoundException($"no sample of {spec.Name} ships with Aperture")) + file;

    private static Tensor ReadResource(IdxDatasetSpec spec, string file)
    {
        string name = ResourceName(spec, file);
        using var stream = typeof(ShippedSample).Assembly.GetManifestResourceStream(name)
            ?? throw new FileNotFoundException($"{name}: resource missing from Aperture.dll (the build did not embed the sample)");
        return IdxFile.Read(stream, name);
    }

    /// <summary>
    /// Draws a stratified sample: for each class in label order, the indices of that class are shuffled
    /// by one <see cref="Random"/> seeded with <paramref name="seed"/> and the first
    /// <paramref name="perClass"/> kept; the kept indices are then sorted, so the sample keeps the
    /// original file order. Returns images and labels as read from the IDX files: <c>[M, H, W]</c> and <c>[M]</c>, uint8.
    /// </summary>
    public static (Tensor Images, Tensor Labels) Draw(Tensor images, Tensor labels, int classCount, int perClass, int seed)
    {
        byte[] y = labels.cpu().data<byte>().ToArray();
        var rng = new Random(seed);
        var kept = new List<long>(classCount * perClass);
        for (int c = 0; c < classCount; c++)
        {
            long[] ofClass = Enumerable.Range(0, y.Length).Where(i => y[i] == c).Select(i => (long)i).ToArray();
            if (ofClass.Length < perClass)
                throw new ArgumentException($"class {c} has only {ofClass.Length} examples, fewer than the {perClass} asked for");
            rng.Shuffle(ofClass);
            kept.AddRange(ofClass.Take(perClass));
        }
        kept.Sort();
        using var index = torch.tensor(kept.ToArray());
        return (images.index_select(0, index), labels.index_select(0, index));
    }

    /// <summary>
    /// Writes the sample of both splits of an IDX dataset found in <paramref name="sourceDir"/> into
    /// <paramref name="outDir"/> as IDX <c>.gz</c> files with the published names.
    /// </summary>
    public static void Generate(string sourceDir, string outDir, int classCount, int trainPerClass, int testPerClass, int seed = Seed)
    {
        foreach (var (split, perClass) in new[] { (DatasetSplit.Train, trainPerClass), (DatasetSplit.Test, testPerClass) })
        {
            var (imagesName, labelsName) = IdxDatasetSpec.FileNames(split);
            var pair = DatasetLocator.FindPair(sourceDir, imagesName, labelsName)
                ?? throw new FileNotFoundException($"{sourceDir}: {imagesName}[.gz] or {labelsName}[.gz] is missing");
            using var scope = NewDisposeScope();
            var (x, y) = Draw(IdxFile.Read(pair.Images), IdxFile.Read(pair.Labels), classCount, perClass, seed);
            IdxFile.Write(Path.Combine(outDir, imagesName + ".gz"), x);
            IdxFile.Write(Path.Combine(outDir, labelsName + ".gz"), y);
        }
    }
}
