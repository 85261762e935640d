using Aperture.Data.Scenes;

namespace Aperture.Localization;

/// <summary>
/// Settings of the weakly supervised localization experiment: how many scenes, what they look like, and the network.
/// Training scenes are made from training items, test scenes from test items (no item is in both).
/// </summary>
public sealed record WeaklySupervisedOptions
{
    /// <summary>Training scenes (made from the training items).</summary>
    public int TrainScenes { get; init; } = 6000;

    /// <summary>Validation scenes (training items, another seed), used to pick the best checkpoint.</summary>
    public int ValidationScenes { get; init; } = 300;

    /// <summary>Test scenes (made from the test items), scored for localization.</summary>
    public int TestScenes { get; init; } = 500;

    /// <summary>
    /// Side of the network input: scenes are shrunk to it (area averaging). 64 for 128x128 scenes: with VGG-GAP's two
    /// poolings the last conv maps are 16x16 (a stride of 8 scene pixels, like the 14x14 maps of the CAM paper's
    /// 224-pixel inputs), and each unit sees 32 input = 64 scene pixels.
    /// </summary>
    public int InputSize { get; init; } = 64;

    /// <summary>Channels of VGG-GAP's three stages.</summary>
    public int[] Widths { get; init; } = [32, 64, 128];

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The scenes: 128x128, 1–3 items, scales 1.25–3 (35–84 px), half the generator's clutter.</summary>
    public SceneOptions Scenes { get; init; } = new() { MinItems = 1, MaxItems = 3, MinScale = 1.25, MaxScale = 3.0, Clutter = 0.5 };

    /// <summary>A short run for the quick report and tests.</summary>
    public static WeaklySupervisedOptions Quick { get; } = new() { TrainScenes = 1500, ValidationScenes = 200, TestScenes = 300, Widths = [16, 32, 64] };

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (TrainScenes < 1 || ValidationScenes < 0 || TestScenes < 1)
            throw new ArgumentException($"scene counts train {TrainScenes}, validation {ValidationScenes}, test {TestScenes}: train and test must be >= 1, validation >= 0");
        if (InputSize < 8 || InputSize % 4 != 0) throw new ArgumentException($"input size {InputSize} must be a multiple of 4 and at least 8 (VGG-GAP pools twice)");
        if (Widths is null || Widths.Length != 3 || Widths.Any(w => w < 1)) throw new ArgumentException("widths must be three positive channel counts");
        if (BatchSize < 1) throw new ArgumentException($"batch size {BatchSize} must be >= 1");
        Scenes.Validate();
    }
}
