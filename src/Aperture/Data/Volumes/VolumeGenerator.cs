namespace Aperture.Data.Volumes;

/// <summary>
/// A seeded generator of 3-D segmentation volumes for V-Net (the 3-D counterpart of the scene generator): randomly
/// rotated ellipsoids, boxes and tori on a background, each voxel labelled exactly by whether its centre lies inside a
/// solid. Overlap rule: solids never overlap or touch — each is placed only where its bounding sphere stays two voxels
/// away from every earlier one (so no two solids' voxels are even diagonal neighbours) (up to 50 tries, then it is left out), so every label is unambiguous. The image is the
/// label map painted with per-solid intensities (kind's mean times 1 ± jitter), multiplied by a smooth bias field
/// 1 + A·f (f: three random low-frequency cosine waves, scaled into [−1, 1]) and added Gaussian noise. Volume i of
/// seed s is the same on every machine (its own <see cref="Random"/> seeded from (s, i)).
/// </summary>
public sealed class VolumeGenerator
{
    private readonly long _seed;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="options">Parameters (defaults when null).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public VolumeGenerator(long seed, VolumeOptions? options = null)
    {
        Options = options ?? new VolumeOptions();
        Options.Validate();
        _seed = seed;
    }

    /// <summary>The parameters.</summary>
    public VolumeOptions Options { get; }

    /// <summary>Class names (class id − 1 = index).</summary>
    public IReadOnlyList<string> ClassNames => Options.ClassNames;

    private readonly record struct Solid(VolumeShape Kind, double[] Centre, double[,] Rotation, double A, double B, double C, double Bound);

    /// <summary>Generates volume number <paramref name="index"/>.</summary>
    public Volume Generate(int index)
    {
        var o = Options;
        var rng = new Random(unchecked((int)(_seed * 1_000_003 + index * 7919 + 17) ^ (int)(_seed >> 32)));
        int n = o.Size;
        int count = rng.Next(o.MinShapes, o.MaxShapes + 1);
        var solids = new List<Solid>();
        for (int s = 0; s < count; s++)
        {
            var kind = (VolumeShape)rng.Next(1, 4);
            for (int attempt = 0; attempt < 50; attempt++)
            {
                double bound = o.MinRadius + rng.NextDouble() * (o.MaxRadius - o.MinRadius);
                var centre = new double[3];
                for (int a = 0; a < 3; a++) centre[a] = bound + 1 + rng.NextDouble() * (n - 3 - 2 * bound);
                if (solids.Any(t => Distance(t.Centre, centre) < t.Bound + bound + 2)) continue;
                solids.Add(Make(kind, centre, bound, rng));
                break;
            }
        }
        var intensity = solids.Select(t => o.ShapeIntensity[(int)t.Kind - 1] * (1 + o.IntensityJitter * (2 * rng.NextDouble() - 1))).ToArray();
        var bias = BiasField(n, rng);
        var image = new float[n * n * n];
        var labels = new byte[n * n * n];
        for (int z = 0; z < n; z++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    int at = (z * n + y) * n + x;
                    double value = o.BackgroundIntensity;
                    for (int s = 0; s < solids.Count; s++)
                    {
                        if (!Inside(solids[s], z + 0.5, y + 0.5, x + 0.5)) continue;
                        labels[at] = (byte)(o.SingleClass ? 1 : (int)solids[s].Kind);
                        value = intensity[s];
                        break;
                    }
                    image[at] = (float)(value * (1 + o.BiasField * bias[at]) + o.Noise * Gaussian(rng));
                }
        return new Volume(n, image, labels, solids.Count);
    }

    private static double Distance(double[] p, double[] q) =>
        Math.Sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));

    /// <summary>A solid of bounding radius <paramref name="bound"/>: its extents chosen inside that sphere.</summary>
    private static Solid Make(VolumeShape kind, double[] centre, double bound, Random rng)
    {
        var rotation = RandomRotation(rng);
        switch (kind)
        {
            case VolumeShape.Ellipsoid:
            {
                // radii between 0.55 and 1 of the bound
                double a = bound, b = bound * (0.55 + 0.45 * rng.NextDouble()), c = bound * (0.55 + 0.45 * rng.NextDouble());
                return new Solid(kind, centre, rotation, a, b, c, bound);
            }
            case VolumeShape.Box:
            {
                // half-sides h with |h| = bound (the corner touches the sphere)
                double u = 0.6 + 0.4 * rng.NextDouble(), v = 0.6 + 0.4 * rng.NextDouble(), w = 0.6 + 0.4 * rng.NextDouble();
                double scale = bound / Math.Sqrt(u * u + v * v + w * w);
                return new Solid(kind, centre, rotation, u * scale, v * scale, w * scale, bound);
            }
            default:
            {
                // tube radius r = 0.3..0.45 of the bound, ring radius R = bound − r
                double r = bound * (0.3 + 0.15 * rng.NextDouble());
                return new Solid(kind, centre, rotation, bound - r, r, 0, bound);
            }
        }
    }

    private static bool Inside(Solid s, double z, double y, double x)
    {
        double dz = z - s.Centre[0], dy = y - s.Centre[1], dx = x - s.Centre[2];
        if (dz * dz + dy * dy + dx * dx > s.Bound * s.Bound) return false;
        // local coordinates: p' = Rᵀ (p − c)
        var r = s.Rotation;
        double u = r[0, 0] * dx + r[1, 0] * dy + r[2, 0] * dz;
        double v = r[0, 1] * dx + r[1, 1] * dy + r[2, 1] * dz;
        double w = r[0, 2] * dx + r[1, 2] * dy + r[2, 2] * dz;
        return s.Kind switch
        {
            VolumeShape.Ellipsoid => u * u / (s.A * s.A) + v * v / (s.B * s.B) + w * w / (s.C * s.C) <= 1,
            VolumeShape.Box => Math.Abs(u) <= s.A && Math.Abs(v) <= s.B && Math.Abs(w) <= s.C,
            _ => Square(Math.Sqrt(u * u + v * v) - s.A) + w * w <= s.B * s.B,
        };
    }

    private static double Square(double x) => x * x;

    /// <summary>A uniformly random rotation matrix, from a random unit quaternion.</summary>
    private static double[,] RandomRotation(Random rng)
    {
        double a = Gaussian(rng), b = Gaussian(rng), c = Gaussian(rng), d = Gaussian(rng);
        double n = Math.Sqrt(a * a + b * b + c * c + d * d);
        a /= n; b /= n; c /= n; d /= n;
        return new double[,]
        {
            { a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c) },
            { 2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b) },
            { 2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c },
        };
    }

    /// <summary>f in [−1, 1] at every voxel: three cosine waves of random direction, frequency ≤ one period per volume and phase, weights normalised by their sum.</summary>
    private static double[] BiasField(int n, Random rng)
    {
        var waves = Enumerable.Range(0, 3).Select(_ => (K: new[] { Gaussian(rng), Gaussian(rng), Gaussian(rng) }, Phase: rng.NextDouble() * 2 * Math.PI,
            Weight: 0.3 + rng.NextDouble(), Freq: 0.3 + 0.7 * rng.NextDouble())).ToArray();
        double total = waves.Sum(w => w.Weight);
        var f = new double[n * n * n];
        foreach (var (k, phase, weight, freq) in waves)
        {
            double norm = Math.Sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]);
            double scale = 2 * Math.PI * freq / (n * Math.Max(norm, 1e-9));
            for (int z = 0; z < n; z++)
                for (int y = 0; y < n; y++)
                    for (int x = 0; x < n; x++)
                        f[(z * n + y) * n + x] += weight / total * Math.Cos(scale * (k[0] * z + k[1] * y + k[2] * x) + phase);
        }
        return f;
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
