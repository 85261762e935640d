using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>Builds an optimizer (TorchSharp's, with its scalars kept alive: <see cref="ScalarSafeOptimizers"/>) and its per-epoch scheduler from <see cref="TrainingOptions"/>.</summary>
public static class OptimizerFactory
{
    /// <summary>Builds the optimizer <see cref="TrainingOptions.Optimizer"/> over <paramref name="parameters"/>.</summary>
    public static OptimizerHelper CreateOptimizer(IEnumerable<Parameter> parameters, TrainingOptions options) => options.Optimizer switch
    {
        OptimizerKind.Sgd => ScalarSafeOptimizers.Sgd(parameters, options.LearningRate, options.Momentum, options.WeightDecay, options.Nesterov),
        OptimizerKind.Adam => ScalarSafeOptimizers.Adam(parameters, options.LearningRate, options.Beta1, options.Beta2, options.WeightDecay),
        OptimizerKind.AdamW => ScalarSafeOptimizers.AdamW(parameters, options.LearningRate, options.Beta1, options.Beta2, options.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "unknown optimizer"),
    };

    /// <summary>
    /// Builds the optimizer and a LambdaLR scheduler with <see cref="LearningRateSchedule.Factor"/>; the learning
    /// rate of the first epoch is already set.
    /// </summary>
    /// <param name="name">Name in checkpoints and logs.</param>
    /// <param name="parameters">Parameters to optimise (e.g. <c>model.parameters()</c>).</param>
    /// <param name="options">Optimizer and schedule settings.</param>
    public static OptimizerSlot Create(string name, IEnumerable<Parameter> parameters, TrainingOptions options)
    {
        options.Validate();
        var optimizer = CreateOptimizer(parameters, options);
        var scheduler = optim.lr_scheduler.LambdaLR(optimizer, LearningRateSchedule.Factor(options));
        return new OptimizerSlot(name, optimizer, scheduler);
    }
}
