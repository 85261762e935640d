using Aperture.Data;
using Aperture.Data.Loading;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCountCollection
{
    public const string Name = "Global tensor count (runs alone)";
}

[Collection(TensorCountCollection.Name)]
public class LoaderMemoryTests
{
    [Fact]
    public void LiveTensorCountStaysFlatOverManyBatches()
    {
        using var data = FashionMnist.LoadSample(DatasetSplit.Train);
        var transform = new Compose(new RandomCrop(28, 2), new RandomHorizontalFlip(), Normalize.FashionMnist);
        var loader = new DataLoader(data, 50, seed: 1, transform: transform, prefetch: 2);

        void RunEpoch(int epoch, int stopAfter)
        {
            int n = 0;
            foreach (var batch in loader.Epoch(epoch))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    _ = (batch.Images * 2).sum(); // some consumer work inside its own scope
                }
                if (++n == stopAfter) break;
            }
        }

        RunEpoch(0, int.MaxValue); // warm up (lazy statics, pools)
        long before = Tensor.TotalCount;
        for (int e = 1; e <= 3; e++) RunEpoch(e, int.MaxValue); // 3 x 120 batches
        RunEpoch(4, 7);                                          // and an early exit
        long after = Tensor.TotalCount;
        Assert.True(after <= before, $"live tensors grew from {before} to {after}");
    }
}
