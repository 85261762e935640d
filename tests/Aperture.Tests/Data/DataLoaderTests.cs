using Aperture.Data;
using Aperture.Data.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class DataLoaderTests
{
    /// <summary>N images of 1x4x5 whose every pixel holds the image's index, labels index % 10.</summary>
    internal static LabeledImages Indexed(int n, int channels = 1, int h = 4, int w = 5)
    {
        using var scope = NewDisposeScope();
        var images = arange(n, dtype: ScalarType.Byte).view(n, 1, 1, 1).expand(n, channels, h, w).contiguous();
        var labels = arange(n, dtype: ScalarType.Int64).remainder(10);
        return new LabeledImages(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), FashionMnist.ClassNames, "test");
    }

    private static List<long> Visit(DataLoader loader, int epoch, List<long>? sizes = null)
    {
        var seen = new List<long>();
        foreach (var batch in loader.Epoch(epoch))
        {
            using (batch)
            {
                sizes?.Add(batch.Size);
                using var ids = (batch.Images[.., 0, 0, 0] * 255).round().to(ScalarType.Int64);
                var idList = ids.data<long>().ToArray();
                seen.AddRange(idList);
                Assert.Equal(idList.Select(i => i % 10), batch.Labels.data<long>().ToArray()); // labels travel with their images
            }
        }
        return seen;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void EveryIndexAppearsOncePerEpoch(int prefetch)
    {
        using var data = Indexed(103);
        var loader = new DataLoader(data, 10, seed: 7, prefetch: prefetch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = Visit(loader, epoch);
            Assert.Equal(103, seen.Count);
            Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i), seen.Order());
        }
    }

    [Fact]
    public void OrderDependsOnlyOnSeedAndEpoch()
    {
        using var data = Indexed(200);
        var a = new DataLoader(data, 16, seed: 42);
        var resumed = new DataLoader(data, 16, seed: 42); // a new loader, as after a restart
        Assert.Equal(a.Order(3), resumed.Order(3));
        Assert.Equal(Visit(a, 3), Visit(resumed, 3));
        Assert.NotEqual(a.Order(3), a.Order(4));
        Assert.NotEqual(a.Order(3), new DataLoader(data, 16, seed: 43).Order(3));
        Assert.NotEqual(Enumerable.Range(0, 200).Select(i => (long)i), a.Order(0));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), new DataLoader(data, 16, shuffle: false).Order(5));
    }

    [Fact]
    public void BatchesHaveTheStatedShapesAndTypes()
    {
        using var data = Indexed(23, channels: 3, h: 6, w: 7);
        var loader = new DataLoader(data, 5, seed: 1);
        var sizes = new List<long>();
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                sizes.Add(batch.Size);
                Assert.Equal(ScalarType.Float32, batch.Images.dtype);
                Assert.Equal(ScalarType.Int64, batch.Labels.dtype);
                Assert.Equal(new[] { batch.Size, 3, 6, 7 }, batch.Images.shape);
                Assert.Equal(new[] { batch.Size }, batch.Labels.shape);
                Assert.True(batch.Images.max().item<float>() <= 1f && batch.Images.min().item<float>() >= 0f);
            }
        }
        Assert.Equal(new long[] { 5, 5, 5, 5, 3 }, sizes);
        Assert.Equal(5, loader.BatchesPerEpoch);
    }

    [Fact]
    public void DropLastDropsTheShortBatch()
    {
        using var data = Indexed(23);
        var loader = new DataLoader(data, 5, seed: 1, dropLast: true);
        var sizes = new List<long>();
        var seen = Visit(loader, 0, sizes);
        Assert.Equal(new long[] { 5, 5, 5, 5 }, sizes);
        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal(20, seen.Distinct().Count());
    }

    [Fact]
    public void PixelsAreScaledToUnitRange()
    {
        using var scope = NewDisposeScope();
        var images = tensor(new byte[] { 0, 51, 255, 102 }, new long[] { 1, 1, 2, 2 });
        using var data = new LabeledImages(images, tensor(new long[] { 3 }), FashionMnist.ClassNames, "t");
        using var batch = new DataLoader(data, 1, shuffle: false).Epoch(0).Single();
        Assert.Equal(new[] { 0f, 0.2f, 1f, 0.4f }, batch.Images.data<float>().ToArray());
    }

    [Fact]
    public void RandomTransformsAreReproducibleAndIndependentOfPrefetching()
    {
        using var data = FashionMnist.LoadSample(DatasetSplit.Test);
        var t = new Compose(new RandomCrop(28, 4), new RandomHorizontalFlip(), Normalize.FashionMnist);
        var a = new DataLoader(data, 64, seed: 5, transform: t, prefetch: 2);
        var b = new DataLoader(data, 64, seed: 5, transform: t, prefetch: 0);
        var c = new DataLoader(data, 64, seed: 6, transform: t, prefetch: 0);
        using var ea = a.Epoch(1).GetEnumerator();
        using var eb = b.Epoch(1).GetEnumerator();
        using var ec = c.Epoch(1).GetEnumerator();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(ea.MoveNext() && eb.MoveNext() && ec.MoveNext());
            using var x = ea.Current;
            using var y = eb.Current;
            using var z = ec.Current;
            Assert.True(x.Images.eq(y.Images).all().item<bool>());
            Assert.False(x.Images.shape.SequenceEqual(z.Images.shape) && x.Images.eq(z.Images).all().item<bool>());
        }
    }

    [Fact]
    public void LeavingEarlyDoesNotHangAndFreesPrefetchedBatches()
    {
        using var data = Indexed(100);
        var loader = new DataLoader(data, 4, seed: 3, prefetch: 3);
        for (int round = 0; round < 5; round++)
        {
            int taken = 0;
            foreach (var batch in loader.Epoch(round))
            {
                batch.Dispose();
                if (++taken == 2) break;
            }
            Assert.Equal(2, taken);
        }
    }

    private sealed class Failing : IBatchTransform
    {
        public Tensor Apply(Tensor images, Generator generator) => throw new InvalidOperationException("transform failed on purpose");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void AProducerFailureReachesTheConsumer(int prefetch)
    {
        using var data = Indexed(10);
        var loader = new DataLoader(data, 4, transform: new Failing(), prefetch: prefetch);
        var e = Assert.Throws<InvalidOperationException>(() => { foreach (var b in loader.Epoch(0)) b.Dispose(); });
        Assert.Contains("on purpose", e.Message);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var data = Indexed(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 4, prefetch: -1));
        using var scope = NewDisposeScope();
        using var floats = new LabeledImages(zeros(2, 1, 3, 3), zeros(2, dtype: ScalarType.Int64), FashionMnist.ClassNames, "floats");
        Assert.Throws<ArgumentException>(() => new DataLoader(floats, 2));
    }
}
