using System.Diagnostics;
using Aperture.Tests.Core.Weights;
using Aperture.Tests.Data;
using Xunit.Abstractions;

namespace Aperture.Tests.Packaging;

/// <summary>
/// The packages as a user gets them, on a machine that has only the packages: the <c>Aperture.Tool</c> package installs
/// with <c>dotnet tool install</c> from a local folder and its <c>aperture</c> command runs; a new project referencing the
/// <c>Aperture</c> library package builds and runs a model. Both load libtorch on Debian 12 only because the packages
/// carry the native-library fix (build/GlibcxxWeakPatch.targets).
/// </summary>
[Collection(nameof(PackageTests))]
public class PackageTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> Packed = new(Pack);

    /// <summary>The package version this build writes (Directory.Build.props' VersionPrefix).</summary>
    private static string Version => typeof(Aperture.Core.Checkpoint).Assembly.GetName().Version!.ToString(3);


    private static string Pack()
    {
        if (Environment.GetEnvironmentVariable("APERTURE_PACKAGES") is { Length: > 0 } given) return Path.GetFullPath(given);
        string folder = Path.Combine(Path.GetTempPath(), "aperture-packages-" + Guid.NewGuid().ToString("N"));
        // The packages (about 150 MB) are removed when the test run ends; both tests share them.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };
        foreach (string project in new[] { "src/Aperture/Aperture.csproj", "src/Aperture.Cli/Aperture.Cli.csproj" })
        {
            var (code, text) = ExternalProcess.Run("dotnet", $"pack \"{Path.Combine(ExternalProcess.RepoRoot, project)}\" -c Release -o \"{folder}\"", TimeSpan.FromMinutes(20), ExternalProcess.RepoRoot);
            if (code != 0) throw new InvalidOperationException($"dotnet pack {project} failed ({code}):\n{text}");
        }
        return folder;
    }

    private (int Code, string Output) Step(string what, string file, string arguments, string cwd, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var sw = Stopwatch.StartNew();
        var result = ExternalProcess.Run(file, arguments, timeout, cwd, env);
        output.WriteLine($"{what}: exit {result.Code} in {sw.Elapsed.TotalSeconds:F0} s");
        return result;
    }

    [PackageFact]
    public void ToolInstallsFromALocalFolderAndRuns()
    {
        var total = Stopwatch.StartNew();
        string folder = Packed.Value;
        output.WriteLine($"packages in {folder} ({total.Elapsed.TotalSeconds:F0} s)");
        using var dir = new TempDir();
        // A package cache of its own, so an older copy of this version in the user's cache is never what runs.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = dir.File("nuget") };
        var (code, text) = Step("tool install", "dotnet", $"tool install --tool-path \"{dir.File("tools")}\" --add-source \"{folder}\" Aperture.Tool --version {Version}",
            dir.Path, TimeSpan.FromMinutes(10), env);
        Assert.True(code == 0, text);
        string aperture = dir.File("tools/aperture");
        Assert.True(File.Exists(aperture), $"no {aperture} after install:\n{text}");

        (code, text) = Step("aperture --version", aperture, "--version", dir.Path, TimeSpan.FromMinutes(1));
        Assert.True(code == 0, text);
        Assert.StartsWith(Version, text.Trim());

        // Verbs that load libtorch (the patched native library from the package) and the shipped sample inside Aperture.dll.
        (code, text) = Step("aperture weights import", aperture, $"weights import \"{PyTorchFixtures.File("lenet5.pt")}\" --model lenet5 --out run", dir.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, text);
        (code, text) = Step("aperture weights export", aperture, "weights export --model run --out lenet5.safetensors", dir.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, text);
        Assert.True(File.Exists(dir.File("lenet5.safetensors")), text);
        (code, text) = Step("aperture data info", aperture, "data info --json", dir.Path, TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["APERTURE_OFFLINE"] = "1" });
        Assert.True(code == 0, text);
        Assert.Contains("\"train\"", text);
        output.WriteLine($"tool test: {total.Elapsed.TotalSeconds:F0} s in all");
    }

    [PackageFact]
    public void ConsumerProjectBuildsAgainstTheLibraryPackageAndRunsAModel()
    {
        var total = Stopwatch.StartNew();
        string folder = Packed.Value;
        output.WriteLine($"packages in {folder} ({total.Elapsed.TotalSeconds:F0} s)");
        using var dir = new TempDir();
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } g ? g
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // Aperture comes from the local folder into a cache of this test's own; its dependencies (TorchSharp, libtorch,
        // SkiaSharp...) are taken from the user's cache when they are there, else from the configured feed.
        File.WriteAllText(dir.File("consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <RestorePackagesPath>{dir.File("nuget")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
                <RestoreAdditionalProjectSources>{folder}</RestoreAdditionalProjectSources>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Aperture" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir.File("Program.cs"), """
            using Aperture.Classification;
            using Aperture.Core.Weights;
            using static TorchSharp.torch;

            var net = new LeNet5(10);
            WeightLoader.Load(net, args[0]);
            net.eval();
            var io = SafetensorsFile.Read(args[1]);
            using var _ = no_grad();
            float diff = (net.forward(io["input"]) - io["output"]).abs().max().item<float>();
            Console.WriteLine($"max diff {diff:R}");
            return diff <= 1e-5f ? 0 : 1;
            """);
        var (code, text) = Step("consumer build", "dotnet", "build -c Release", dir.Path, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, text);
        Assert.Contains("Marked GLIBCXX_3.4.32 weak", text); // the package's buildTransitive targets patched the consumer's output
        (code, text) = Step("consumer run", "dotnet", $"bin/Release/net10.0/consumer.dll \"{PyTorchFixtures.File("lenet5.pt")}\" \"{PyTorchFixtures.File("io.safetensors")}\"",
            dir.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, text);
        Assert.Contains("max diff", text);
        output.WriteLine($"consumer test: {total.Elapsed.TotalSeconds:F0} s in all");
    }
}
