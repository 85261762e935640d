using Aperture.Data.Formats;
using Aperture.Data.Volumes;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Data.Volumes;

public class VolumeGeneratorTests
{
    [Fact]
    public void SameSeedAndIndexGiveTheSameVolume()
    {
        var a = new VolumeGenerator(5).Generate(3);
        var b = new VolumeGenerator(5).Generate(3);
        var c = new VolumeGenerator(5).Generate(4);
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Labels, c.Labels);
        Assert.Equal(24 * 24 * 24, a.Image.Length);
    }

    [Fact]
    public void WithoutNoiseBiasOrJitterTheImageIsExactlyTheLabelsPainted()
    {
        var o = new VolumeOptions { Noise = 0, BiasField = 0, IntensityJitter = 0 };
        for (int i = 0; i < 5; i++)
        {
            var v = new VolumeGenerator(1, o).Generate(i);
            for (int at = 0; at < v.Labels.Length; at++)
            {
                double expected = v.Labels[at] == 0 ? o.BackgroundIntensity : o.ShapeIntensity[v.Labels[at] - 1];
                Assert.Equal((float)expected, v.Image[at]);
            }
            Assert.True(v.Labels.Any(l => l > 0));
        }
    }

    [Fact]
    public void SolidsNeverTouchSoEachIsOneComponent()
    {
        var o = new VolumeOptions { SingleClass = true };
        int checkedShapes = 0;
        for (int i = 0; i < 8; i++)
        {
            var v = new VolumeGenerator(2, o).Generate(i);
            Assert.InRange(v.Shapes, 1, o.MaxShapes);
            Assert.Equal(v.Shapes, Components(v.Labels, v.Size));
            checkedShapes += v.Shapes;
        }
        Assert.True(checkedShapes >= 8);
    }

    [Fact]
    public void NoiseAndBiasFieldHaveTheirStrength()
    {
        var o = new VolumeOptions { BiasField = 0, IntensityJitter = 0, Noise = 0.1 };
        var v = new VolumeGenerator(3, o).Generate(0);
        var background = v.Image.Where((x, i) => v.Labels[i] == 0).Select(x => x - o.BackgroundIntensity).ToArray();
        double sd = Math.Sqrt(background.Select(x => x * x).Average());
        Assert.InRange(sd, 0.095, 0.105);
        // bias only: background intensities spread within 0.15·(1 ± 0.2), and do spread
        var biased = new VolumeGenerator(3, o with { Noise = 0, BiasField = 0.2 }).Generate(0);
        var bg = biased.Image.Where((x, i) => biased.Labels[i] == 0).ToArray();
        Assert.True(bg.Min() >= 0.15 * 0.8 - 1e-6 && bg.Max() <= 0.15 * 1.2 + 1e-6);
        Assert.True(bg.Max() - bg.Min() > 0.15 * 0.1);
    }

    private static int Components(byte[] labels, int n)
    {
        var seen = new bool[labels.Length];
        int count = 0;
        var stack = new Stack<int>();
        for (int start = 0; start < labels.Length; start++)
        {
            if (labels[start] == 0 || seen[start]) continue;
            count++;
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int at = stack.Pop();
                int z = at / (n * n), y = at / n % n, x = at % n;
                for (int dz = -1; dz <= 1; dz++)
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int zz = z + dz, yy = y + dy, xx = x + dx;
                            if (zz < 0 || yy < 0 || xx < 0 || zz >= n || yy >= n || xx >= n) continue;
                            int next = (zz * n + yy) * n + xx;
                            if (labels[next] == 0 || seen[next]) continue;
                            seen[next] = true;
                            stack.Push(next);
                        }
            }
        }
        return count;
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => new VolumeGenerator(1, new VolumeOptions { Size = 16, MaxRadius = 7 }));
        Assert.Contains("largest radius", e.Message);
        Assert.Throws<ArgumentException>(() => new VolumeGenerator(1, new VolumeOptions { MinShapes = 0 }));
        Assert.Throws<ArgumentException>(() => new VolumeGenerator(1, new VolumeOptions { ShapeIntensity = [0.5] }));
    }

    [Fact]
    public void WrittenVolumesReadBackThroughTheDatasetExactly()
    {
        using var dir = new TempDir();
        var o = new VolumeOptions { Size = 16, MinRadius = 3, MaxRadius = 6 };
        var summary = VolumesWriter.Write(dir.Path, 10, 4, o);
        Assert.Equal(10, summary.Splits.Values.Sum(s => s.Count));
        var dataset = VolumeDataset.Open(dir.Path);
        Assert.Equal(new[] { "ellipsoid", "box", "torus" }, dataset.ClassNames);
        Assert.Equal(8, dataset.Split("train").Count);
        Assert.Equal("vol_000009", dataset.Split("test").Single().Id);
        var generated = new VolumeGenerator(4, o).Generate(9);
        using var loaded = dataset.Load(dataset.Split("test")[0]);
        using var scope = NewDisposeScope();
        Assert.True(loaded.Image.eq(generated.ImageTensor()).all().item<bool>());
        Assert.True(loaded.Labels.eq(generated.LabelTensor()).all().item<bool>());
        // without dataset.json: imagesTr/labelsTr matched by name, classes from classes.txt, splits 80/10/10 by id
        File.Delete(Path.Combine(dir.Path, VolumeDataset.IndexFile));
        File.WriteAllLines(Path.Combine(dir.Path, "classes.txt"), ["a", "b", "c"]);
        var scanned = VolumeDataset.Open(dir.Path);
        Assert.Equal(new[] { "a", "b", "c" }, scanned.ClassNames);
        Assert.Equal(10, scanned.Splits.Values.Sum(s => s.Count));
    }

    [Fact]
    public void MismatchedOrOutOfRangeLabelsAreRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        VolumesWriter.Write(dir.Path, 2, 1, new VolumeOptions { Size = 16, MinRadius = 3, MaxRadius = 6 }, new Aperture.Data.Scenes.SceneSplits(1, 0, 0));
        var dataset = VolumeDataset.Open(dir.Path);
        var item = dataset.Split("train")[0];
        using var scope = NewDisposeScope();
        NiftiFile.Write(item.LabelPath, zeros(new long[] { 16, 16, 8 }, ScalarType.Byte));
        var e = Assert.Throws<InvalidDataException>(() => dataset.Load(item));
        Assert.Contains(item.LabelPath, e.Message);
        Assert.Contains("do not match", e.Message);
        NiftiFile.Write(item.LabelPath, full(new long[] { 16, 16, 16 }, 7, ScalarType.Byte));
        e = Assert.Throws<InvalidDataException>(() => dataset.Load(item));
        Assert.Contains("0..3", e.Message);
        File.Delete(item.LabelPath);
        Assert.Throws<InvalidDataException>(() => VolumeDataset.Open(dir.Path));
    }
}
