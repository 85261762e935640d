using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Tests.Training;

/// <summary>
/// <see cref="ScalarSafeOptimizers"/> make the same updates as TorchSharp's optimizers. That their steps survive garbage
/// collections started by another thread, where TorchSharp's fail, is measured by the benchmark
/// (<c>Aperture.Bench optimizer-scalars</c>): the race needs seconds to show and its rate depends on the machine.
/// </summary>
public class ScalarSafeOptimizerTests
{
    private static (nn.Module<Tensor, Tensor> Net, Tensor Input) Net(int seed)
    {
        manual_seed(seed);
        var net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3));
        return (net, randn(8, 6));
    }

    public static TheoryData<string> Kinds => new() { "sgd", "sgd-nesterov", "adam", "adamw" };

    private static OptimizerHelper Ours(string kind, IEnumerable<Parameter> p) => kind switch
    {
        "sgd" => ScalarSafeOptimizers.Sgd(p, 0.05, momentum: 0.9, weightDecay: 1e-2),
        "sgd-nesterov" => ScalarSafeOptimizers.Sgd(p, 0.05, momentum: 0.9, weightDecay: 1e-2, nesterov: true),
        "adam" => ScalarSafeOptimizers.Adam(p, 0.01, 0.8, 0.99, weightDecay: 1e-2),
        _ => ScalarSafeOptimizers.AdamW(p, 0.01, 0.8, 0.99, weightDecay: 1e-1),
    };

    private static OptimizerHelper TorchSharps(string kind, IEnumerable<Parameter> p) => kind switch
    {
        "sgd" => optim.SGD(p, 0.05, momentum: 0.9, weight_decay: 1e-2),
        "sgd-nesterov" => optim.SGD(p, 0.05, momentum: 0.9, weight_decay: 1e-2, nesterov: true),
        "adam" => optim.Adam(p, 0.01, 0.8, 0.99, weight_decay: 1e-2),
        _ => optim.AdamW(p, 0.01, 0.8, 0.99, weight_decay: 1e-1),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UpdatesEqualTorchSharpsOverSeveralSteps(string kind)
    {
        var (a, x) = Net(3);
        var (b, _) = Net(3);
        var ours = Ours(kind, a.parameters());
        var theirs = TorchSharps(kind, b.parameters());
        var before = a.parameters().Select(p => p.detach().clone()).ToList();
        for (int step = 0; step < 6; step++)
            foreach (var (net, opt) in new[] { (a, ours), (b, theirs) })
            {
                opt.zero_grad();
                net.forward(x).square().mean().backward();
                opt.step();
            }
        foreach (var ((p, q), start) in a.parameters().Zip(b.parameters()).Zip(before))
        {
            Assert.True(p.allclose(q, rtol: 1e-5, atol: 1e-6), $"{kind}: parameters differ from TorchSharp's after 6 steps");
            Assert.False(p.allclose(start), $"{kind}: the optimizer did not move the parameters");
        }
    }
}
