using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// The one seeding scheme of Aperture's batchers: for a data set of <see cref="Count"/> examples and a
/// <see cref="Seed"/>, the order of each epoch and the random generators of each batch, all derived by
/// <see cref="Mix"/> from (seed, epoch) and (seed, epoch, batch index) only.
/// </summary>
/// <remarks>
/// Because nothing depends on what happened before, a run resumed at epoch <c>e</c> sees the same batches as an
/// uninterrupted one, and batch <c>b</c> is the same whether it is made first, last or on another thread.
/// </remarks>
public sealed class EpochSampler
{
    /// <summary>The third <see cref="Mix"/> input of the order's seed (batch seeds use the batch index there).</summary>
    private const ulong OrderStream = 0x5348_5546;

    /// <summary>Creates a sampler.</summary>
    /// <param name="count">Number of examples, N ≥ 0.</param>
    /// <param name="seed">Seed of the orders and of every batch's generators.</param>
    /// <param name="shuffle">Visit the examples in a seeded random order (else always in file order).</param>
    /// <param name="fileOrderAtEpochZero">Keep file order at epoch 0 even when shuffling (the detectors' batchers use
    /// epoch 0 for a fixed validation pass; the trainer counts training epochs from 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public EpochSampler(long count, long seed, bool shuffle = true, bool fileOrderAtEpochZero = false)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of examples must be >= 0");
        Count = count;
        Seed = seed;
        Shuffle = shuffle;
        FileOrderAtEpochZero = fileOrderAtEpochZero;
    }

    /// <summary>Number of examples, N.</summary>
    public long Count { get; }

    /// <summary>Seed of the orders and of every batch's generators.</summary>
    public long Seed { get; }

    /// <summary>Whether epochs visit the examples in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether epoch 0 keeps file order even when <see cref="Shuffle"/> is true.</summary>
    public bool FileOrderAtEpochZero { get; }

    /// <summary>Whether epoch <paramref name="epoch"/> is shuffled (else it is in file order).</summary>
    public bool Shuffles(int epoch) => Shuffle && !(FileOrderAtEpochZero && epoch == 0);

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits the examples: a permutation of <c>0 .. N-1</c>, length
    /// <c>[N]</c>, that depends only on (<see cref="Seed"/>, <paramref name="epoch"/>), or the identity when the epoch is not shuffled.
    /// </summary>
    public long[] Order(int epoch)
    {
        var order = new long[Count];
        for (long i = 0; i < order.LongLength; i++) order[i] = i;
        if (Shuffles(epoch))
        {
            // System.Random(int) is documented to keep its sequence for a given seed across .NET versions.
            var rng = new Random(ToInt(Mix((ulong)Seed, (ulong)epoch, OrderStream)));
            rng.Shuffle(order);
        }
        return order;
    }

    /// <summary>Batches in one epoch of <paramref name="batchSize"/> examples (the last one smaller unless dropped).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public long BatchCount(int batchSize, bool dropLast = false)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be > 0");
        return dropLast ? Count / batchSize : (Count + batchSize - 1) / batchSize;
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>: consecutive runs of <paramref name="batchSize"/> indices of
    /// <see cref="Order"/>, each with its batch index (which seeds its generators).
    /// </summary>
    /// <param name="epoch">Epoch number.</param>
    /// <param name="batchSize">Examples per batch, B &gt; 0.</param>
    /// <param name="dropLast">Leave out a last batch smaller than B.</param>
    public IEnumerable<SamplerBatch> Batches(int epoch, int batchSize, bool dropLast = false)
    {
        long count = BatchCount(batchSize, dropLast);
        long[] order = Order(epoch);
        for (long b = 0; b < count; b++)
        {
            long start = b * batchSize;
            int size = (int)Math.Min(batchSize, Count - start);
            yield return new SamplerBatch(epoch, b, order.AsSpan((int)start, size).ToArray(), BatchSeed(epoch, b));
        }
    }

    /// <summary>The 64-bit seed of batch <paramref name="batch"/> of epoch <paramref name="epoch"/>: <c>Mix(seed, epoch, batch)</c>.</summary>
    public ulong BatchSeed(int epoch, long batch) => Mix((ulong)Seed, (ulong)epoch, (ulong)batch);

    /// <summary>A new libtorch generator for batch <paramref name="batch"/> of epoch <paramref name="epoch"/>; the caller disposes it.</summary>
    public Generator TorchGenerator(int epoch, long batch) => new(BatchSeed(epoch, batch));

    /// <summary>A new <see cref="System.Random"/> for batch <paramref name="batch"/> of epoch <paramref name="epoch"/>.</summary>
    public Random Random(int epoch, long batch) => new(ToInt(BatchSeed(epoch, batch)));

    /// <summary>SplitMix64-style mixing of three numbers into one well-spread 64-bit seed (the only mixing function of the batchers).</summary>
    public static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong h = 0x9E37_79B9_7F4A_7C15UL;
        foreach (ulong v in new[] { a, b, c })
        {
            h ^= v + 0x9E37_79B9_7F4A_7C15UL + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D0_49BB_1331_11EBUL;
            h ^= h >> 31;
        }
        return h;
    }

    /// <summary>A non-negative <c>int</c> seed for <see cref="System.Random"/> from a mixed 64-bit seed.</summary>
    internal static int ToInt(ulong mixed) => (int)(mixed & int.MaxValue);
}

/// <summary>One batch of an epoch drawn by an <see cref="EpochSampler"/>.</summary>
/// <param name="Epoch">Epoch number.</param>
/// <param name="Index">Batch index within the epoch, 0-based.</param>
/// <param name="Examples">Indices of the batch's examples in the data set, shape <c>[B]</c>.</param>
/// <param name="Seed">The batch's seed, <c>Mix(seed, epoch, index)</c>.</param>
public readonly record struct SamplerBatch(int Epoch, long Index, long[] Examples, ulong Seed)
{
    /// <summary>Number of examples, B.</summary>
    public int Size => Examples.Length;

    /// <summary>A new libtorch generator seeded with <see cref="Seed"/>; the caller disposes it.</summary>
    public Generator TorchGenerator() => new(Seed);

    /// <summary>A new <see cref="System.Random"/> seeded from <see cref="Seed"/>.</summary>
    public Random Random() => new(EpochSampler.ToInt(Seed));
}
