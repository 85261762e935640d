namespace Aperture.Generative;

/// <summary>Settings of <see cref="ProbabilisticPca"/>.</summary>
public sealed record PpcaOptions : Core.IValidatable
{
    /// <summary>Principal components q (the lecture shows 60 and 250).</summary>
    public int Components { get; init; } = 60;

    /// <summary>Throws one <see cref="ArgumentException"/> naming the bad value.</summary>
    public void Validate()
    {
        if (Components < 1 || Components >= DensityData.ImageDimension)
            throw new ArgumentException($"components must be in [1, {DensityData.ImageDimension - 1}] (got {Components})");
    }
}
