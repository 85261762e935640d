using Aperture.Core;
using Aperture.Training;

namespace Aperture.Segmentation;

/// <summary>How a segmenter trains: the trainer's settings, the batch and window, and the method's own options record.</summary>
/// <param name="Epochs">Epochs.</param>
/// <param name="Optimizer">Optimizer.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="BatchSize">Images per mini-batch.</param>
/// <param name="Options">The method's options record (e.g. <c>UNetOptions</c>).</param>
/// <param name="Scenes">Scenes generated when no dataset folder is given (80/10/10 train/val/test).</param>
/// <param name="Schedule">Per-epoch learning-rate schedule (cosine by default: the short from-scratch runs here gain from it).</param>
/// <param name="BalanceClasses">Weigh the loss by median-frequency class weights (<see cref="SegmentationData.MedianFrequencyWeights"/>; on by
/// default: unweighted, every network here spends its first epochs predicting background everywhere — 80% of the scenes' pixels — and the
/// U-Net paper weighs its loss by class frequency too).</param>
public sealed record SegmenterRecipe(int Epochs, OptimizerKind Optimizer, double LearningRate, int BatchSize, object Options, int Scenes = 1000,
    ScheduleKind Schedule = ScheduleKind.Cosine, bool BalanceClasses = true)
{
    /// <summary>The recipe with some of the method's options changed, each <c>name=value</c> with the option's snake_case name.</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones) or a value of the wrong type.</exception>
    public SegmenterRecipe With(IEnumerable<string> assignments) => this with { Options = OptionAssignments.Apply(Options, assignments) };
}
