using System.Security.Cryptography;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Imaging;
using Aperture.Ops;
using Aperture.Tests.Data;
using SkiaSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Aperture.Tests.Fuzz;

/// <summary>
/// The loaders fuzzed: damaged copies of valid IDX, PNG, JPEG, VOC XML, COCO JSON, NIfTI-1 and checkpoint files (see
/// <see cref="Mutator"/>) must each either load or throw <see cref="InvalidDataException"/> — the library's one error
/// for bad data, which the CLI turns into one line and exit code 2. Anything else (an IndexOutOfRange, an
/// OverflowException, a native abort) is a finding. CI runs <see cref="DefaultCases"/> cases per format; more on
/// demand: <c>APERTURE_FUZZ_CASES=100000 dotnet test -c Release --filter FullyQualifiedName~Fuzz</c>.
/// A failure prints the format, the case number and the seed, so <c>APERTURE_FUZZ_SEED</c> replays it.
/// </summary>
public sealed class LoaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Cases per format in CI.</summary>
    public const int DefaultCases = 600;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("APERTURE_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCases;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("APERTURE_FUZZ_SEED"), out int s) ? s : 20261201;

    [Fact]
    public void DamagedIdxFilesLoadOrSayWhy()
    {
        string raw = _dir.File("valid.idx"), gz = _dir.File("valid.idx.gz");
        using (var images = randint(0, 256, [4, 28, 28], ScalarType.Byte)) { IdxFile.Write(raw, images, gzip: false); IdxFile.Write(gz, images, gzip: true); }
        Run("idx", File.ReadAllBytes(raw), text: false, p => IdxFile.Read(p).Dispose());
        Run("idx.gz", File.ReadAllBytes(gz), text: false, p => IdxFile.Read(p).Dispose());
    }

    [Fact]
    public void DamagedPngAndJpegFilesDecodeOrSayWhy()
    {
        foreach (var (name, format) in new[] { ("png", SKEncodedImageFormat.Png), ("jpg", SKEncodedImageFormat.Jpeg) })
        {
            string path = _dir.File("valid." + name);
            using (var bitmap = new SKBitmap(40, 30))
            {
                var random = new Random(1);
                for (int y = 0; y < 30; y++)
                    for (int x = 0; x < 40; x++)
                        bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)(x * 6), (byte)(y * 8)));
                using var data = bitmap.Encode(format, 90);
                File.WriteAllBytes(path, data.ToArray());
            }
            Run(name, File.ReadAllBytes(path), text: false, p => ImageFile.Decode(p).Dispose());
        }
        string maskPath = _dir.File("valid-mask.png");
        var mask = new byte[40 * 30];
        for (int i = 0; i < mask.Length; i++) mask[i] = (byte)(i % 40 / 10 + (i / 40 > 15 ? 4 : 0));
        LabelMask.Write(maskPath, mask, 40, 30);
        Run("png label mask", File.ReadAllBytes(maskPath), text: false, p => LabelMask.Read(p).Dispose());
    }

    [Fact]
    public void DamagedVocAnnotationsLoadOrSayWhy()
    {
        string path = _dir.File("valid.xml");
        VocFormat.WriteAnnotation(path, new ImageAnnotation("a", "a.png", 100, 80,
            [new ObjectAnnotation(0, "cat", new Box(10, 12, 50, 60), 1), new ObjectAnnotation(1, "dog", new Box(40, 5, 99, 79), 2, Difficult: true)]));
        Run("voc", File.ReadAllBytes(path), text: true, p => VocFormat.ReadAnnotation(p, ["cat", "dog"]));
    }

    [Fact]
    public void DamagedCocoFilesLoadOrSayWhy()
    {
        string path = _dir.File("valid.json");
        var mask = new byte[12 * 10];
        for (int y = 1; y < 7; y++) for (int x = 2; x < 9; x++) mask[y * 12 + x] = 1;
        var images = new List<ImageAnnotation>
        {
            new("i", "i.png", 12, 10, [new ObjectAnnotation(0, "a", new Box(2, 1, 9, 7), 1), new ObjectAnnotation(1, "b", new Box(0, 0, 4, 4), 2)]),
            new("j", "j.png", 8, 8, []),
        };
        CocoFormat.Write(path, ["a", "b"], images, k => k == 0 ? mask : null);
        Run("coco", File.ReadAllBytes(path), text: true, p =>
        {
            var coco = CocoFormat.Read(p);
            for (int i = 0; i < coco.Images.Count; i++) { coco.ClassMask(i); coco.InstanceMask(i); }
        });
    }

    [Fact]
    public void DamagedNiftiVolumesLoadOrSayWhy()
    {
        string raw = _dir.File("valid.nii"), gz = _dir.File("valid.nii.gz");
        using (var volume = randn([6, 5, 4]))
        {
            var affine = new double[,] { { 0.9, 0, 0, -10 }, { 0, 1.1, 0, 5 }, { 0, 0, 2.5, 0 }, { 0, 0, 0, 1 } };
            NiftiFile.Write(raw, volume, affine);
            NiftiFile.Write(gz, volume, affine);
        }
        Run("nii", File.ReadAllBytes(raw), text: false, p => NiftiFile.Read(p).Dispose());
        Run("nii.gz", File.ReadAllBytes(gz), text: false, p => NiftiFile.Read(p).Dispose());
    }

    [Fact]
    public void DamagedCheckpointsLoadOrSayWhy()
    {
        string path = _dir.File("valid.ckpt");
        using var model = new LeNet5();
        Checkpoint.Save(path, 3, new Dictionary<string, nn.Module> { ["model"] = model }, metadata: null);
        byte[] valid = File.ReadAllBytes(path);
        void Load(string p)
        {
            using var target = new LeNet5();
            Checkpoint.Load(p, new Dictionary<string, nn.Module> { ["model"] = target });
            ModelCard.Find(Checkpoint.ReadInfo(p));
        }
        Run("checkpoint", valid, text: false, Load);
        // The checksum stops almost every damaged file at the door; these cases re-seal the damaged body with a valid
        // SHA-256, as an edited file would be, so the header and section parsers and libtorch's loader see the damage.
        Run("checkpoint (re-sealed)", valid, text: false, Load, Reseal);
    }

    private static byte[] Reseal(byte[] valid, byte[] damaged)
    {
        const int start = 12, hash = 32; // "APCKPT01", the format version, …, SHA-256 of what lies between
        if (damaged.Length < start + hash) return damaged;
        var body = damaged.AsSpan(start, damaged.Length - start - hash);
        return [.. valid.AsSpan(0, start), .. body, .. SHA256.HashData(body)];
    }

    private void Run(string format, byte[] valid, bool text, Action<string> load, Func<byte[], byte[], byte[]>? finish = null)
    {
        var random = new Random(HashCode.Combine(Seed, format.GetHashCode(StringComparison.Ordinal) & 0xFFFF));
        string path = _dir.File("case." + format.Split(' ')[0]);
        var failures = new List<string>();
        int loaded = 0, refused = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] damaged = Mutator.Mutate(valid, random, text);
            if (finish is not null) damaged = finish(valid, damaged);
            File.WriteAllBytes(path, damaged);
            using var scope = NewDisposeScope();
            try { load(path); loaded++; }
            catch (InvalidDataException e) when (e.Message.Contains(path, StringComparison.Ordinal) || e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal)) { refused++; }
            catch (Exception e)
            {
                if (failures.Count < 10) failures.Add($"{format} case {i} (seed {Seed}): {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                else if (failures.Count == 10) failures.Add("…");
            }
        }
        output.WriteLine($"{format}: {Cases} cases, {loaded} loaded, {refused} refused with a clear error, {failures.Count} findings");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
