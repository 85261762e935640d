namespace Aperture.Data.Volumes;

/// <summary>The kinds of solid the volume generator places; with <see cref="VolumeOptions.SingleClass"/> off, kind k is class k.</summary>
public enum VolumeShape
{
    /// <summary>An ellipsoid with three radii (class 1).</summary>
    Ellipsoid = 1,

    /// <summary>A box with three half-sides (class 2).</summary>
    Box = 2,

    /// <summary>A torus: a tube of radius r around a circle of radius R (class 3).</summary>
    Torus = 3,
}

/// <summary>
/// Parameters of <see cref="VolumeGenerator"/>. The defaults give 24³ volumes with 2–4 randomly rotated solids
/// (ellipsoids, boxes, tori; one class per kind, mean intensities 0.4, 0.7, 1.0) of bounding radius 3.5–7 voxels on a
/// dim background (0.15), a smooth multiplicative bias field of ±15 % and Gaussian noise of σ = 0.06: small enough to
/// train V-Net on a CPU in minutes; the bias field makes a global threshold err near the class boundaries.
/// </summary>
public sealed record VolumeOptions
{
    /// <summary>Side of the cubic volume, D = H = W, in voxels.</summary>
    public int Size { get; init; } = 24;

    /// <summary>Fewest solids per volume (at least 1).</summary>
    public int MinShapes { get; init; } = 2;

    /// <summary>Most solids per volume (fewer when no free place is found: solids never touch).</summary>
    public int MaxShapes { get; init; } = 4;

    /// <summary>Smallest bounding radius of a solid, in voxels.</summary>
    public double MinRadius { get; init; } = 3.5;

    /// <summary>Largest bounding radius of a solid, in voxels (at most Size/2 − 2).</summary>
    public double MaxRadius { get; init; } = 7;

    /// <summary>One foreground class ("foreground") for every kind, instead of one class per kind.</summary>
    public bool SingleClass { get; init; }

    /// <summary>Mean intensity of the background.</summary>
    public double BackgroundIntensity { get; init; } = 0.15;

    /// <summary>Mean intensity of each kind, in <see cref="VolumeShape"/> order (ellipsoid, box, torus).</summary>
    public double[] ShapeIntensity { get; init; } = [0.4, 0.7, 1.0];

    /// <summary>Each solid's intensity is its kind's times (1 + u), u uniform in ±this.</summary>
    public double IntensityJitter { get; init; } = 0.04;

    /// <summary>Amplitude A of the bias field: intensities are multiplied by 1 + A·f, f a smooth field in [−1, 1].</summary>
    public double BiasField { get; init; } = 0.15;

    /// <summary>Standard deviation of the additive Gaussian noise.</summary>
    public double Noise { get; init; } = 0.06;

    /// <summary>The class names this generator labels with, class id − 1 = index (background, id 0, is not listed).</summary>
    public IReadOnlyList<string> ClassNames => SingleClass ? ["foreground"] : ["ellipsoid", "box", "torus"];

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"volume options: {message}");
        }
        Check(Size is >= 8 and <= 512, $"size {Size} must be between 8 and 512");
        Check(MinShapes >= 1 && MaxShapes >= MinShapes && MaxShapes <= 64, $"shapes per volume {MinShapes}..{MaxShapes} must satisfy 1 <= min <= max <= 64");
        Check(MinRadius >= 1 && MaxRadius >= MinRadius, $"radius range {MinRadius}..{MaxRadius} must satisfy 1 <= min <= max");
        Check(MaxRadius <= Size / 2.0 - 2, $"largest radius {MaxRadius} must be at most size/2 − 2 = {Size / 2.0 - 2}");
        Check(ShapeIntensity.Length == 3 && ShapeIntensity.All(double.IsFinite), "shape intensities must be three finite numbers (ellipsoid, box, torus)");
        Check(IntensityJitter is >= 0 and < 1, $"intensity jitter {IntensityJitter} must be in [0, 1)");
        Check(BiasField is >= 0 and < 1, $"bias field amplitude {BiasField} must be in [0, 1)");
        Check(Noise >= 0 && double.IsFinite(Noise), $"noise {Noise} must be >= 0");
    }
}
