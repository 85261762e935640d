using System.CommandLine;
using Aperture.Cli;

var root = new RootCommand("""
    Aperture: deep learning for computer vision beyond image classification.
    Example: aperture report --quick
    """);
CommonOptions.AddTo(root);
DataCommands.AddTo(root);
TrainCommands.AddTo(root);
DetectCommands.AddTo(root);
EvalCommands.AddTo(root);
ProposeCommand.AddTo(root);
ReportCommand.AddTo(root);
VisualizeCommands.AddTo(root);

return Cli.Run(root, args);
