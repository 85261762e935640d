using SkiaSharp;

namespace Aperture.Imaging;

/// <summary>How <see cref="BoxDrawing"/> draws boxes and their labels. The defaults scale with the image.</summary>
public sealed record BoxStyle
{
    /// <summary>Line width in pixels; 0 (the default) scales it with the image: max(1, round(max(H, W) / 200)).</summary>
    public int LineWidth { get; init; }

    /// <summary>Label font size in pixels; 0 (the default) scales it with the image, between 9 and 32.</summary>
    public float FontSize { get; init; }

    /// <summary>Draw the label text ("Coat 0.93") in a filled box above each box. Text is left out if the machine has no fonts.</summary>
    public bool ShowLabels { get; init; } = true;

    /// <summary>
    /// False (the default): labels are object classes counted from 0, and label c gets
    /// <see cref="Palette.Color"/>(c + 1) so no box is background-black. True: label 0 is the
    /// background class and label c gets <see cref="Palette.Color"/>(c), matching mask overlays.
    /// </summary>
    public bool LabelsIncludeBackground { get; init; }

    /// <summary>One colour for every box, instead of a colour per class.</summary>
    public SKColor? Color { get; init; }
}
