using TorchSharp.Modules;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Aperture.Training;

/// <summary>A named optimizer and its optional per-epoch learning-rate scheduler, as a task exposes it for checkpoints.</summary>
/// <param name="Name">Name in checkpoints and logs, e.g. <c>optimizer</c>, <c>generator</c>.</param>
/// <param name="Optimizer">A TorchSharp optimizer (SGD, Adam, AdamW, ...).</param>
/// <param name="Scheduler">Stepped once after every epoch; its position is restored on resume from the epoch count.
/// Use a scheduler with a closed form (LambdaLR, StepLR, CosineAnnealingLR) so that position restores exactly.</param>
public sealed record OptimizerSlot(string Name, OptimizerHelper Optimizer, LRScheduler? Scheduler = null)
{
    /// <summary>The learning rate of the first parameter group.</summary>
    public double LearningRate => Optimizer.ParamGroups.First().LearningRate;
}
