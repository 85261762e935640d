using Aperture.Training;

namespace Aperture.Tests.Training;

public class LearningRateScheduleTests
{
    [Theory]
    [InlineData("constant", 0, new[] { 1.0, 1.0, 1.0, 1.0, 1.0 })]
    [InlineData("step", 0, new[] { 1.0, 1.0, 0.5, 0.5, 0.25 })]
    [InlineData("constant", 2, new[] { 0.5, 1.0, 1.0, 1.0, 1.0 })]
    [InlineData("step", 1, new[] { 1.0, 1.0, 1.0, 0.5, 0.5 })]
    public void FactorsFollowTheScheduleAndWarmUp(string schedule, int warmup, double[] expected)
    {
        var f = LearningRateSchedule.Factor(new TrainingOptions
        {
            Epochs = 5, Schedule = TrainingOptions.ParseSchedule(schedule), StepSize = 2, Gamma = 0.5, WarmupEpochs = warmup,
        });
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(f));
    }

    [Fact]
    public void CosineAnnealsFromOneTowardsZeroAfterWarmUp()
    {
        var f = LearningRateSchedule.Factor(new TrainingOptions { Epochs = 6, Schedule = ScheduleKind.Cosine, WarmupEpochs = 2 });
        Assert.Equal(0.5, f(0), 12);
        Assert.Equal(1.0, f(2), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI / 4)), f(3), 12);
        Assert.Equal(0.5, f(4), 12);
        Assert.Equal(0.0, f(6), 12);
    }

    [Fact]
    public void TheFactorySchedulerSetsTheOptimizersLearningRatePerEpoch()
    {
        using var model = ToyClassification.Model();
        var slot = OptimizerFactory.Create("opt", model.parameters(),
            new TrainingOptions { Optimizer = OptimizerKind.AdamW, LearningRate = 0.1, Schedule = ScheduleKind.Step, StepSize = 1, Gamma = 0.5, WeightDecay = 0.01 });
        Assert.IsAssignableFrom<TorchSharp.Modules.AdamW>(slot.Optimizer);
        Assert.Equal(0.1, slot.LearningRate, 12);
        slot.Scheduler!.step();
        Assert.Equal(0.05, slot.LearningRate, 12);
        slot.Scheduler.step(3); // what resume does: jump to a position
        Assert.Equal(0.0125, slot.LearningRate, 12);
    }

    [Theory]
    [InlineData("sgd", OptimizerKind.Sgd)]
    [InlineData(" Adam ", OptimizerKind.Adam)]
    [InlineData("ADAMW", OptimizerKind.AdamW)]
    public void OptimizerNamesParse(string name, OptimizerKind kind) => Assert.Equal(kind, TrainingOptions.ParseOptimizer(name));

    [Fact]
    public void BadOptionsGiveOneClearError()
    {
        Assert.Contains("sgd, adam, adamw", Assert.Throws<ArgumentException>(() => TrainingOptions.ParseOptimizer("rmsprop")).Message);
        Assert.Contains("constant, step, cosine", Assert.Throws<ArgumentException>(() => TrainingOptions.ParseSchedule("linear")).Message);
        Assert.Contains("--nesterov", Assert.Throws<ArgumentException>(() => new TrainingOptions { Optimizer = OptimizerKind.Adam, Nesterov = true }.Validate()).Message);
        Assert.Contains("--lr", Assert.Throws<ArgumentException>(() => new TrainingOptions { LearningRate = double.NaN }.Validate()).Message);
        Assert.Contains("--epochs", Assert.Throws<ArgumentException>(() => new TrainingOptions { Epochs = 0 }.Validate()).Message);
    }
}
