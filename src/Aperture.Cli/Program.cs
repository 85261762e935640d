using System.CommandLine;
using Aperture.Cli;

var root = new RootCommand("""
    Aperture: deep learning for computer vision beyond image classification.
    Example: aperture report --quick
    Exit codes: 0 success, 1 internal error, 2 bad input (options, data, checkpoints, unwritable --out),
    3 training stopped, 4 out of resources (memory, disk full). Add --verbose for the stack trace of an error.
    """);
CommonOptions.AddTo(root);
DataCommands.AddTo(root);
TrainCommands.AddTo(root);
DetectCommands.AddTo(root);
SegmentCommands.AddTo(root);
EvalCommands.AddTo(root);
ProposeCommand.AddTo(root);
MergeCommand.AddTo(root);
ReportCommand.AddTo(root);
VisualizeCommands.AddTo(root);
DensityCommands.AddTo(root);
GanCommands.AddTo(root);
WeightsCommands.AddTo(root);
ServeCommand.AddTo(root);
FeatureCommands.AddTo(root);
QualityCommands.AddTo(root);

return Cli.Run(root, args);
