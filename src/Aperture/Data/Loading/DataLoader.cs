using System.Threading.Channels;
using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// Cuts a <see cref="LabeledImages"/> set into mini-batches for training or evaluation.
/// </summary>
/// <remarks>
/// <para>Order: with shuffling, the order of epoch <c>e</c> depends only on (<see cref="Seed"/>, <c>e</c>),
/// so a run resumed at epoch <c>e</c> sees the same batches as an uninterrupted one. Random transforms
/// draw from a generator seeded by (seed, epoch, batch index), so batches are reproducible too.</para>
/// <para>Speed: a batch is one <c>index_select</c> on the whole <c>uint8</c> tensor, one conversion to
/// <c>float32</c> scaled to [0, 1], then the transform, all batch-wide. With <see cref="Prefetch"/> &gt; 0
/// a background task prepares up to that many batches ahead, overlapping data preparation with training.</para>
/// <para>Ownership: each <see cref="Batch"/> belongs to no dispose scope; the consumer owns it and must
/// dispose it (<c>foreach (var batch in loader.Epoch(e)) { using (batch) { ... } }</c>). Leaving the loop
/// early disposes the batches prepared but not yet taken. The loader does not own or dispose the data set.</para>
/// </remarks>
public sealed class DataLoader
{
    /// <summary>Creates a loader.</summary>
    /// <param name="data">The images (<c>uint8 [N, C, H, W]</c>) and labels (<c>int64 [N]</c>); not copied, not disposed.</param>
    /// <param name="batchSize">Examples per batch, B &gt; 0.</param>
    /// <param name="shuffle">Visit the examples in a seeded random order each epoch (else in file order).</param>
    /// <param name="seed">Seed of the order and of random transforms.</param>
    /// <param name="dropLast">Drop the last batch of an epoch when it has fewer than B examples.</param>
    /// <param name="transform">Applied to each batch's float images after scaling to [0, 1]; null for none.</param>
    /// <param name="prefetch">Batches prepared ahead on a background task; 0 prepares each batch on the caller's thread.</param>
    /// <param name="device">Where batches are placed; null keeps the data's device.</param>
    /// <exception cref="ArgumentException">The data's shapes or dtypes are wrong, or a count is out of range.</exception>
    public DataLoader(LabeledImages data, int batchSize, bool shuffle = true, long seed = 0, bool dropLast = false,
                      IBatchTransform? transform = null, int prefetch = 2, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be > 0");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "prefetch must be >= 0");
        if (data.Images.dim() != 4 || data.Images.dtype != ScalarType.Byte)
            throw new ArgumentException($"{data.Source}: images must be uint8 [N, C, H, W], got {data.Images.dtype} [{string.Join(", ", data.Images.shape)}]", nameof(data));
        if (data.Labels.dim() != 1 || data.Labels.dtype != ScalarType.Int64 || data.Labels.shape[0] != data.Images.shape[0])
            throw new ArgumentException($"{data.Source}: labels must be int64 [{data.Images.shape[0]}], got {data.Labels.dtype} [{string.Join(", ", data.Labels.shape)}]", nameof(data));
        Data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Transform = transform;
        Prefetch = prefetch;
        Device = device;
        Sampler = new EpochSampler(data.Count, seed, shuffle);
    }

    /// <summary>The data set batched.</summary>
    public LabeledImages Data { get; }

    /// <summary>Examples per batch, B.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the order and of random transforms.</summary>
    public long Seed { get; }

    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The batch transform, or null.</summary>
    public IBatchTransform? Transform { get; }

    /// <summary>How many batches a background task prepares ahead (0: none, no thread).</summary>
    public int Prefetch { get; }

    /// <summary>Where batches are placed (null: the data's device).</summary>
    public Device? Device { get; }

    /// <summary>The order of each epoch and the generators of each batch (seeded by <see cref="Seed"/>).</summary>
    public EpochSampler Sampler { get; }

    /// <summary>Batches in one epoch.</summary>
    public long BatchesPerEpoch => Sampler.BatchCount(BatchSize, DropLast);

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits the examples: a permutation of
    /// <c>0 .. N-1</c> that depends only on (<see cref="Seed"/>, <paramref name="epoch"/>), or the identity without shuffling.
    /// </summary>
    public long[] Order(int epoch) => Sampler.Order(epoch);

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>: images <c>float32 [B, C, H', W']</c> (scaled to [0, 1],
    /// then transformed), labels <c>int64 [B]</c>. The caller disposes each batch.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch) => Run(epoch, b => MakeSample(b).ToBatch());

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> in the general shape: images <c>float32 [B, C, H', W']</c> with
    /// their class labels <c>int64 [B]</c>; a paired transform (<see cref="IPairedTransform"/>) is applied as such.
    /// Same order, generators and numbers as <see cref="Epoch"/>. The caller disposes each batch.
    /// </summary>
    public IEnumerable<SampleBatch> Samples(int epoch) => Run(epoch, MakeSample);

    private IEnumerable<T> Run<T>(int epoch, Func<SamplerBatch, T> make) where T : class, IDisposable
    {
        var batches = Sampler.Batches(epoch, BatchSize, DropLast);
        return Prefetch == 0 ? batches.Select(make) : Prefetched(batches, make);
    }

    private IEnumerable<T> Prefetched<T>(IEnumerable<SamplerBatch> batches, Func<SamplerBatch, T> make) where T : class, IDisposable
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Prefetch)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = new CancellationTokenSource();
        var token = stop.Token;
        var producer = Task.Factory.StartNew(() =>
        {
            // This dedicated thread makes small batches: libtorch would otherwise start a second OpenMP team
            // for it, which spins against the training thread's team on the same cores and halves throughput.
            set_num_threads(1);
            try
            {
                foreach (var b in batches)
                {
                    token.ThrowIfCancellationRequested();
                    var batch = make(b);
                    try
                    {
                        channel.Writer.WriteAsync(batch, token).AsTask().GetAwaiter().GetResult();
                    }
                    catch
                    {
                        batch.Dispose();
                        throw;
                    }
                }
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            while (Take(channel.Reader) is { } batch) yield return batch;
        }
        finally
        {
            stop.Cancel();
            try { producer.GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
            while (channel.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    private static T? Take<T>(ChannelReader<T> reader) where T : class
    {
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            if (reader.TryRead(out var batch)) return batch;
        // Completed: rethrow the producer's failure, if any (a cancellation is ours, not a failure).
        if (reader.Completion.IsFaulted) reader.Completion.GetAwaiter().GetResult();
        return null;
    }

    private SampleBatch MakeSample(SamplerBatch b)
    {
        // Runs on the producer thread or the caller's: the scope frees the intermediates, and the results are
        // detached from every scope so that whichever thread consumes them owns them.
        using var scope = NewDisposeScope();
        var index = tensor(b.Examples, device: Data.Images.device);
        var images = Data.Images.index_select(0, index).to(ScalarType.Float32).div_(255f);
        var labels = Data.Labels.index_select(0, index);
        if (Transform is not null)
        {
            using var generator = b.TorchGenerator();
            if (Transform is IPairedTransform paired)
            {
                var sample = paired.Apply(new SampleBatch(images, labels), generator);
                images = sample.Images;
                labels = sample.Labels!;
            }
            else images = Transform.Apply(images, generator);
        }
        if (Device is not null)
        {
            images = images.to(Device);
            labels = labels.to(Device);
        }
        return new SampleBatch(images, labels).DetachFromDisposeScope();
    }
}
