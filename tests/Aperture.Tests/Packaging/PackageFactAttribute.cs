namespace Aperture.Tests.Packaging;

/// <summary>
/// A fact that packs and installs Aperture's NuGet packages (minutes on 2 cores, and the tool package is about 200 MB):
/// run only with <c>APERTURE_PACKAGE_TESTS=1</c>. <c>APERTURE_PACKAGES=DIR</c> uses packages already packed there
/// (<c>dotnet pack src/Aperture -o DIR</c> and <c>dotnet pack src/Aperture.Cli -o DIR</c>) instead of packing.
/// </summary>
public sealed class PackageFactAttribute : FactAttribute
{
    /// <summary>The variable that turns these tests on.</summary>
    public const string Variable = "APERTURE_PACKAGE_TESTS";

    public PackageFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"packs, installs and builds against the NuGet packages (several minutes): set {Variable}=1 to run";
    }
}
