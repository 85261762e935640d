using Aperture.Core;
using Aperture.Training;

namespace Aperture.Detection;

/// <summary>How a detector trains: the trainer's settings and the method's own options record.</summary>
/// <param name="Epochs">Epochs (fine-tuning epochs for R-CNN).</param>
/// <param name="Optimizer">Optimizer.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="Options">The method's options record (e.g. <c>FastRcnnOptions</c>).</param>
/// <param name="Schedule">Per-epoch learning-rate schedule.</param>
/// <param name="Patience">Early stopping: epochs without a better validation score before training ends (0: never).</param>
/// <param name="PretrainedBody">Where the conv body starts when neither <c>--init</c> nor <c>--pretrain-epochs</c> says:
/// true, from the pre-trained classifier that ships with Aperture (<see cref="ShippedBody"/>, copied into
/// <c>&lt;out&gt;/pretrain</c>), as both R-CNN papers start from an ImageNet classifier; false, from scratch.</param>
/// <param name="Scenes">Scenes generated when no dataset folder is given (80/10/10 train/val/test).</param>
public sealed record DetectorRecipe(int Epochs, OptimizerKind Optimizer, double LearningRate, object Options,
    ScheduleKind Schedule = ScheduleKind.Constant, int Patience = 0, bool PretrainedBody = false, int Scenes = 1500)
{
    /// <summary>
    /// The recipe with some of the method's options changed, each given as <c>name=value</c> with the option's
    /// snake_case name as in the model card (e.g. <c>roi_align=true</c>, <c>rois_per_image=128</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones) or a value of the wrong type.</exception>
    public DetectorRecipe With(IEnumerable<string> assignments)
        => this with { Options = OptionAssignments.Apply(Options, assignments) };
}
