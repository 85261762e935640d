using Aperture.Core.Weights;

namespace Aperture.Tests.Core.Weights;

public class WeightNameMapTests
{
    [Theory]
    [InlineData("conv1.weight", "c1.weight")]
    [InlineData("features.0.bias", "c1.bias")]
    [InlineData("module.c3.weight", "c3.weight")]
    [InlineData("bn.num_batches_tracked", null)]
    [InlineData("fc.weight", null)]
    [InlineData("head.fc.bias", null)]
    [InlineData("other.weight", "other.weight")]
    public void RulesRenameStripAndDrop(string from, string? to)
    {
        var map = WeightNameMap.Parse(["conv1.weight=c1.weight", "features.0.=c1.  # a prefix", "module.=", "-.num_batches_tracked", "-fc.weight", "-head.", "", "# comment"]);
        Assert.Equal(to, map.Map(from));
    }

    [Theory]
    [InlineData("no-equals")]
    [InlineData("=c1.weight")]
    [InlineData("features.0.=c1")]
    [InlineData("fc.weight=")]
    [InlineData("-")]
    public void MalformedRulesAreRefusedWithTheRule(string rule)
    {
        var e = Assert.Throws<ArgumentException>(() => WeightNameMap.Parse([rule]));
        Assert.Contains(rule, e.Message);
    }
}
