using Aperture.Nn;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Nn;

/// <summary>Fine-tuning a pre-trained body with its first stages held fixed (Fast R-CNN, section 4.5).</summary>
public class BackboneFreezeTests
{
    [Fact]
    public void FrozenStagesKeepTheirWeightsAndStatisticsWhileTheRestTrains()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        var body = new Backbone();
        body.Freeze(2);
        body.train();
        var before = body.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var optimizer = ScalarSafeOptimizers.Adam(body.parameters(), 1e-2);
        for (int step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            body.forward(randn(2, 3, 32, 32)).square().mean().backward();
            optimizer.step();
        }
        foreach (var (name, t) in body.state_dict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            bool frozen = name.Contains("conv1.") || name.Contains("bn1.") || name.Contains("conv2.") || name.Contains("bn2.");
            bool same = t.eq(before[name]).all().item<bool>();
            Assert.True(frozen == same, $"{name}: {(frozen ? "frozen but changed" : "trainable but unchanged")}");
        }
        // Stage 3's batch norm still trains (batch statistics), so the output differs between train and eval mode.
        var x = randn(2, 3, 32, 32);
        using (no_grad())
        {
            var trainOut = body.forward(x);
            body.eval();
            Assert.False(trainOut.allclose(body.forward(x)));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => body.Freeze(4));
    }
}
