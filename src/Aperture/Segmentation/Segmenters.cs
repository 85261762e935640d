using Aperture.Core;
using Aperture.Segmentation.Dilated;
using Aperture.Segmentation.Fcn;
using Aperture.Segmentation.PixelWindow;
using Aperture.Segmentation.UNet;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>The segmenters Aperture trains: one line each.</summary>
public static class Segmenters
{
    /// <summary>Every segmenter, in the order the report shows them (a method trained in stages after the one it starts from).</summary>
    public static IReadOnlyList<SegmenterMethod> All { get; } =
    [
        new("pixel-window", "naive per-pixel sliding window: a small CNN classifies the 33x33 window around each pixel into its centre's label, run densely (filter rarefaction) for speed",
            budget => budget switch
            {
                RunBudget.Quick => new(1, OptimizerKind.Adam, 1e-3, 8, new PixelWindowOptions(), Scenes: QuickScenes),
                RunBudget.Report => new(2, OptimizerKind.Adam, 1e-3, 8, new PixelWindowOptions(), Scenes: ReportScenes),
                _ => new(4, OptimizerKind.Adam, 1e-3, 8, new PixelWindowOptions()),
            },
            (classes, options) => new PixelWindowNetwork(3, classes, (PixelWindowOptions)options)),
        new("fcn32s", "FCN-32s (Long, Shelhamer & Darrell 2015): VGG-style net made fully convolutional, scores at stride 32 upsampled 32x",
            budget => Fcn(budget, 32, 8, 2e-3),
            (classes, options) => new Fcn.Fcn(3, classes, (FcnOptions)options)),
        new("fcn16s", "FCN-16s (Long et al. 2015): + pool4 skip (zero-initialised score layer, 2x transposed conv initialised bilinear), trained from a trained FCN-32s",
            budget => Fcn(budget, 16, 4, 1e-3),
            (classes, options) => new Fcn.Fcn(3, classes, (FcnOptions)options))
        {
            StartsFrom = "fcn32s", InitialiseFrom = (net, from) => ((Fcn.Fcn)net).InitialiseFrom((Fcn.Fcn)from),
        },
        new("fcn8s", "FCN-8s (Long et al. 2015): + pool3 skip, trained from a trained FCN-16s",
            budget => Fcn(budget, 8, 4, 1e-3),
            (classes, options) => new Fcn.Fcn(3, classes, (FcnOptions)options))
        {
            StartsFrom = "fcn16s", InitialiseFrom = (net, from) => ((Fcn.Fcn)net).InitialiseFrom((Fcn.Fcn)from),
        },
        new("dilated-frontend", "dilated front end (Yu & Koltun 2016): VGG-style net with the last two pools removed and later convolutions dilated, stride 8",
            budget => Dilated(budget, false, 16, 2e-3), // FCN-8s's 8 + 4 + 4 and U-Net's 16: at 8 it was under-trained (mean IU 0.170 vs 0.301)
            (classes, options) => new DilatedNetwork(3, classes, (DilatedOptions)options)),
        new("dilated", "context module (Yu & Koltun 2016): dilations 1, 1, 2, 4, 8, 16, 1, identity-initialised, trained on top of a trained dilated front end",
            budget => Dilated(budget, true, 8, 1e-3),
            (classes, options) => new DilatedNetwork(3, classes, (DilatedOptions)options))
        {
            StartsFrom = "dilated-frontend", InitialiseFrom = (net, from) => ((DilatedNetwork)net).InitialiseFrom((DilatedNetwork)from),
        },
        new("unet", "U-Net (Ronneberger, Fischer & Brox 2015): encoder-decoder with skip connections by concatenation; 'same' padding instead of valid convolutions + overlap-tile",
            budget => budget switch
            {
                RunBudget.Quick => new(1, OptimizerKind.Adam, 2e-3, 8, new UNetOptions { BaseWidth = 8 }, Scenes: QuickScenes),
                RunBudget.Report => new(5, OptimizerKind.Adam, 2e-3, 8, new UNetOptions(), Scenes: ReportScenes),
                _ => new(16, OptimizerKind.Adam, 2e-3, 8, new UNetOptions()), // FCN-8s's three stages together: 8 + 4 + 4
            },
            (classes, options) => new UNetNetwork(classes, (UNetOptions)options)),
    ];

    /// <summary>Scenes of the quick budget (every method's quick recipe uses the same, so the report generates them once).</summary>
    public const int QuickScenes = 200;

    /// <summary>Scenes of the report budget (shared by every method, like <see cref="QuickScenes"/>).</summary>
    public const int ReportScenes = 500;

    private static SegmenterRecipe Fcn(RunBudget budget, int stride, int epochs, double lr) => budget switch
    {
        RunBudget.Quick => new(1, OptimizerKind.Adam, lr, 8, new FcnOptions { OutputStride = stride }, Scenes: QuickScenes),
        RunBudget.Report => new(stride == 32 ? 5 : 2, OptimizerKind.Adam, lr, 8, new FcnOptions { OutputStride = stride }, Scenes: ReportScenes),
        _ => new(epochs, OptimizerKind.Adam, lr, 8, new FcnOptions { OutputStride = stride }),
    };

    /// <summary>
    /// The front end trains with Adam like the other nets; the context module with the paper's SGD (momentum 0.9): from
    /// its identity start Adam moves every weight by about the learning rate at once, whatever its gradient, and the
    /// combined net's validation mean IU fell 3.0 points below the front end's after one epoch and stayed below (SGD: 2.4,
    /// back level by the end) — measured on 1,000 scenes, front end trained 16 epochs.
    /// </summary>
    private static SegmenterRecipe Dilated(RunBudget budget, bool context, int epochs, double lr)
    {
        var optimizer = context ? OptimizerKind.Sgd : OptimizerKind.Adam;
        return budget switch
        {
            RunBudget.Quick => new(1, optimizer, lr, 8, new DilatedOptions { ContextModule = context }, Scenes: QuickScenes),
            RunBudget.Report => new(context ? 2 : 5, optimizer, lr, 8, new DilatedOptions { ContextModule = context }, Scenes: ReportScenes),
            _ => new(epochs, optimizer, lr, 8, new DilatedOptions { ContextModule = context }),
        };
    }

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names => All.Select(m => m.Name).ToArray();

    /// <summary>The segmenter called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static SegmenterMethod Find(string name) => All.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"segmentation method '{name}' is not one of: {string.Join(", ", Names)}");

    /// <summary>The card a segmenter's checkpoints carry.</summary>
    /// <param name="method">Method name.</param>
    /// <param name="classNames">Object class names (no background).</param>
    /// <param name="mean">Per-channel pixel mean the network was trained with.</param>
    /// <param name="std">Per-channel pixel standard deviation.</param>
    /// <param name="options">The method's options record.</param>
    public static ModelCard Card(string method, IReadOnlyList<string> classNames, float[] mean, float[] std, object options) => new()
    {
        Family = ModelFamily.Segmenter, Method = method, ClassNames = classNames, InChannels = 3, Mean = mean, Std = std,
        Settings = ModelCard.SettingsOf(options),
    };

    /// <summary>Loads a trained segmenter from a checkpoint file or run folder, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Damaged, or not a segmenter (the message names the verb to use).</exception>
    public static (nn.Module<Tensor, Tensor> Network, ModelCard Card, SegmenterMethod Method) Load(string checkpointOrRun, Device device)
    {
        var (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Segmenter);
        var method = All.FirstOrDefault(m => m.Name == card.Method)
            ?? throw new InvalidDataException($"{path}: unknown segmentation method '{card.Method}' (known: {string.Join(", ", Names)})");
        if (card.ClassNames.Count == 0 || card.Mean.Length != 3 || card.Std.Length != 3)
            throw new InvalidDataException($"{path}: the segmenter card is incomplete (classes and per-channel mean and std are needed)");
        return (method.Load(path, card, device), card, method);
    }
}
