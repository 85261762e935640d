namespace Aperture.Tests.Core.Weights;

/// <summary>A fact that allocates and writes several gigabytes: run only with <c>APERTURE_LARGE_TESTS=1</c>.</summary>
public sealed class LargeFactAttribute : FactAttribute
{
    public LargeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("APERTURE_LARGE_TESTS") != "1")
            Skip = "allocates 2 GiB twice and writes 2 GiB to disk (about 40 s on 2 cores): set APERTURE_LARGE_TESTS=1 to run";
    }
}
