using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Tests.Nn;

public class RegionHeadTests
{
    [Fact]
    public void DropoutActsOnlyWhileTraining()
    {
        Aperture.Core.Torch.Seed(4);
        var head = new RegionHead(4, 3, 400, dropout: 0.5);
        var plain = new RegionHead(4, 3, 400);
        plain.load_state_dict(head.state_dict());
        var x = randn(8, 4, 3, 3);
        head.eval(); plain.eval();
        Assert.True(head.forward(x).allclose(plain.forward(x), 0, 0));
        head.train();
        // fc7's input and output are dropped: about half of the active features survive, doubled, against the plain head.
        var dropped = head.forward(x);
        var active = plain.forward(x).gt(0).sum().item<long>();
        var kept = dropped.gt(0).sum().item<long>();
        Assert.InRange(kept, active / 5, active * 4 / 5);
        Assert.False(head.forward(x).allclose(dropped, 0, 0));
    }

    [Fact]
    public void DropoutOutsideZeroToOneIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegionHead(4, 3, 8, dropout: 1));
}
