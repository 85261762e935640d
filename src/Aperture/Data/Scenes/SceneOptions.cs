namespace Aperture.Data.Scenes;

/// <summary>
/// Parameters of the scene generator. The defaults give 128x128 RGB scenes with 1–5 Fashion-MNIST items
/// each scaled 0.5x–3x (28 px → 14..84 px) on a cluttered background.
/// </summary>
public sealed record SceneOptions
{
    /// <summary>Scene width in pixels.</summary>
    public int Width { get; init; } = 128;

    /// <summary>Scene height in pixels.</summary>
    public int Height { get; init; } = 128;

    /// <summary>Fewest items per scene (at least 1).</summary>
    public int MinItems { get; init; } = 1;

    /// <summary>Most items per scene (at most 255, the instance-mask limit).</summary>
    public int MaxItems { get; init; } = 5;

    /// <summary>Smallest scale factor applied to an item (0.5 turns 28 px into 14 px).</summary>
    public double MinScale { get; init; } = 0.5;

    /// <summary>Largest scale factor applied to an item (3 turns 28 px into 84 px).</summary>
    public double MaxScale { get; init; } = 3.0;

    /// <summary>An item pixel is foreground where its intensity exceeds this fraction of the item's maximum intensity.</summary>
    public double ForegroundThreshold { get; init; } = 0.1;

    /// <summary>
    /// A new item is placed only if it hides at most this fraction of the visible area of every earlier item;
    /// otherwise another position, scale or item is tried.
    /// </summary>
    public double MaxOcclusion { get; init; } = 0.5;

    /// <summary>Every listed object keeps at least this many visible foreground pixels.</summary>
    public int MinVisiblePixels { get; init; } = 40;

    /// <summary>Background clutter strength in [0, 1]: 0 gives only smooth colour noise, 1 the most lines, blobs and texture patches.</summary>
    public double Clutter { get; init; } = 1.0;

    /// <summary>
    /// Classes per scene: 0 (the default) draws every item's class independently, so an item says nothing about its
    /// neighbours; n &gt; 0 draws n classes for the scene first (a shoe shelf, a rack of shirts) and every item from them,
    /// so the other items also tell an item's class — the co-occurrence context that Yu &amp; Koltun's context module is
    /// built to aggregate and that independent items cannot give it.
    /// </summary>
    public int ClassesPerScene { get; init; }

    /// <summary>Checks the options and throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"scene options: {message}");
        }
        Check(Width is >= 16 and <= 4096 && Height is >= 16 and <= 4096, $"size {Width}x{Height} must be between 16 and 4096 on each side");
        Check(MinItems >= 1 && MaxItems >= MinItems && MaxItems <= 255, $"items per scene {MinItems}..{MaxItems} must satisfy 1 <= min <= max <= 255");
        Check(MinScale > 0 && MaxScale >= MinScale, $"scale range {MinScale}..{MaxScale} must satisfy 0 < min <= max");
        Check(ForegroundThreshold is > 0 and < 1, $"foreground threshold {ForegroundThreshold} must be in (0, 1)");
        Check(MaxOcclusion is >= 0 and < 1, $"max occlusion {MaxOcclusion} must be in [0, 1)");
        Check(MinVisiblePixels >= 1, $"min visible pixels {MinVisiblePixels} must be >= 1");
        Check(Clutter is >= 0 and <= 1, $"clutter {Clutter} must be in [0, 1]");
        Check(ClassesPerScene >= 0, $"classes per scene {ClassesPerScene} must be >= 0 (0: any class)");
    }
}
