using Aperture.Data.Loading;
using FsCheck;
using FsCheck.Xunit;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class EpochSamplerTests
{
    [Property(MaxTest = 60)]
    public bool EveryIndexExactlyOncePerEpochInBatches(PositiveInt seed, byte count, byte batchSize, byte epoch)
    {
        var sampler = new EpochSampler(count, seed.Get);
        int size = 1 + batchSize % 17;
        var batches = sampler.Batches(epoch, size).ToList();
        var seen = batches.SelectMany(b => b.Examples).ToList();
        return seen.Order().SequenceEqual(Enumerable.Range(0, count).Select(i => (long)i))
            && batches.Count == sampler.BatchCount(size)
            && batches.Select(b => b.Index).SequenceEqual(Enumerable.Range(0, batches.Count).Select(i => (long)i))
            && batches.All(b => b.Size == size || b.Index == batches.Count - 1)
            && seen.SequenceEqual(sampler.Order(epoch));
    }

    [Property(MaxTest = 40)]
    public bool SameSeedSameOrderAndGeneratorsDifferentEpochsDiffer(PositiveInt seed, byte epoch)
    {
        var a = new EpochSampler(100, seed.Get);
        var b = new EpochSampler(100, seed.Get);
        using var g1 = a.TorchGenerator(epoch, 3);
        using var g2 = b.TorchGenerator(epoch, 3);
        using var g3 = a.TorchGenerator(epoch, 4);
        using var r1 = randint(0, 1 << 30, new long[] { 4 }, generator: g1);
        using var r2 = randint(0, 1 << 30, new long[] { 4 }, generator: g2);
        using var r3 = randint(0, 1 << 30, new long[] { 4 }, generator: g3);
        return a.Order(epoch).SequenceEqual(b.Order(epoch))
            && !a.Order(epoch).SequenceEqual(a.Order(epoch + 1))
            && !a.Order(epoch).SequenceEqual(new EpochSampler(100, seed.Get + 1).Order(epoch))
            && r1.eq(r2).all().item<bool>() && !r1.eq(r3).all().item<bool>()
            && a.Random(epoch, 3).Next() == b.Random(epoch, 3).Next()
            && a.Random(epoch, 3).Next() != a.Random(epoch + 1, 3).Next()
            && a.Batches(epoch, 7).Skip(3).First().Seed == a.BatchSeed(epoch, 3);
    }

    [Fact]
    public void FileOrderWithoutShufflingAndAtEpochZeroWhenAsked()
    {
        var identity = Enumerable.Range(0, 50).Select(i => (long)i).ToArray();
        Assert.Equal(identity, new EpochSampler(50, 3, shuffle: false).Order(4));
        Assert.NotEqual(identity, new EpochSampler(50, 3).Order(0));
        var detector = new EpochSampler(50, 3, fileOrderAtEpochZero: true);
        Assert.Equal(identity, detector.Order(0));
        Assert.NotEqual(identity, detector.Order(1));
        Assert.Equal(new EpochSampler(50, 3).Order(1), detector.Order(1));
        Assert.Empty(new EpochSampler(0, 1).Batches(1, 4));
        Assert.Equal(3, new EpochSampler(10, 1).BatchCount(4));
        Assert.Equal(2, new EpochSampler(10, 1).BatchCount(4, dropLast: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochSampler(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochSampler(10, 0).BatchCount(0));
    }
}
