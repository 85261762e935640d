using Aperture.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Training;

/// <summary>
/// A small, linearly separable 3-class problem on [1, 2, 4] "images", generated with managed RNG only (so tests do
/// not depend on libtorch's global generator, which parallel test classes share), and a tiny MLP.
/// </summary>
internal sealed class ToyClassification : IDisposable
{
    public const int Classes = 3;
    private readonly float[] _x;
    private readonly long[] _y;

    public ToyClassification(int count = 96, int seed = 5)
    {
        var rng = new Random(seed);
        var w = new float[Classes * 8];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        _x = new float[count * 8];
        _y = new long[count];
        for (int n = 0; n < count; n++)
        {
            for (int j = 0; j < 8; j++) _x[n * 8 + j] = (float)(rng.NextDouble() * 2 - 1);
            double best = double.NegativeInfinity;
            for (int k = 0; k < Classes; k++)
            {
                double s = 0;
                for (int j = 0; j < 8; j++) s += w[k * 8 + j] * _x[n * 8 + j];
                if (s > best) { best = s; _y[n] = k; }
            }
        }
        Count = count;
    }

    public int Count { get; }

    /// <summary>Training batches of one epoch, shuffled by (seed, epoch); fresh tensors per batch.</summary>
    public IEnumerable<Batch> Epoch(long seed, int epoch, int batchSize = 16, Func<int, Batch, Batch>? tamper = null)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(HashCode.Combine(seed, epoch)).Shuffle(order);
        for (int start = 0, b = 0; start < Count; start += batchSize, b++)
        {
            var idx = order.Skip(start).Take(batchSize).ToArray();
            var batch = Make(idx);
            yield return tamper is null ? batch : tamper(b, batch);
        }
    }

    /// <summary>All examples in order, as validation batches.</summary>
    public IEnumerable<Batch> InOrder(int batchSize = 32)
    {
        for (int start = 0; start < Count; start += batchSize)
            yield return Make(Enumerable.Range(start, Math.Min(batchSize, Count - start)).ToArray());
    }

    /// <summary>A batch outside any enumeration (for direct optimizer tests).</summary>
    public Batch Make(int[] idx)
    {
        var xs = new float[idx.Length * 8];
        var ys = new long[idx.Length];
        for (int i = 0; i < idx.Length; i++)
        {
            Array.Copy(_x, idx[i] * 8, xs, i * 8, 8);
            ys[i] = _y[idx[i]];
        }
        return new Batch(tensor(xs, [idx.Length, 1, 2, 4]), tensor(ys));
    }

    /// <summary>A tiny MLP; weights copied from <paramref name="initFrom"/> when given (deterministic init without torch's RNG).</summary>
    public static nn.Module<Tensor, Tensor> Model(nn.Module? initFrom = null, double dropout = 0)
    {
        var model = dropout > 0
            ? nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, Classes))
            : nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, Classes));
        if (initFrom is not null) model.load_state_dict(initFrom.state_dict());
        return model;
    }

    public static float[] Weights(nn.Module model) =>
        model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "aperture-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose() { }
}
