using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Web.Tests;

/// <summary>
/// One server for the test classes: a runs folder holding a tiny VGG-GAP trained for one epoch on 2,000 Fashion-MNIST
/// images (seconds; enough for CAM to have something to show), served on a free loopback port with small limits.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    /// <summary>The upload limit of the test server: small, so a test can exceed it cheaply.</summary>
    public const long MaxUploadBytes = 3L * 1024 * 1024;

    /// <summary>The pixel limit of the test server.</summary>
    public const long MaxPixels = 4_000_000;

    /// <summary>A temporary folder holding runs/ and out/ (deleted at the end).</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "aperture-serve-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The runs folder served.</summary>
    public string Runs => Path.Combine(Folder, "runs");

    /// <summary>The --out folder the server makes its working folder in.</summary>
    public string Out => Path.Combine(Folder, "out");

    /// <summary>The id the page gives the trained classifier.</summary>
    public string ClassifierId => "runs/vgg-gap";

    /// <summary>The server.</summary>
    public ServeServer Server { get; private set; } = null!;

    /// <summary>Its address, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>A photo to upload: scikit-image's cat when the machine has it, else a generated scene.</summary>
    public string Photo { get; private set; } = "";

    public async Task InitializeAsync()
    {
        try
        {
            await Start();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task Start()
    {
        Torch.SetThreads(1);
        Torch.Seed(1); // the weights' initialisation: the same model every run
        Directory.CreateDirectory(Folder);
        using (var train = FashionMnist.Load(DatasetSplit.Train))
        using (var test = FashionMnist.Load(DatasetSplit.Test))
        using (var testPart = test.Subset(arange(200)))
        {
            ClassificationRun.Execute(new ClassificationSettings
            {
                Model = "vgg-gap", OutputDirectory = Path.Combine(Runs, "vgg-gap"), Seed = 1, Epochs = 1, Limit = 2000, Validation = 100, BatchSize = 32, Augment = false,
                Progress = ProgressMode.Quiet, TensorBoard = false,
            }, train, testPart, CPU);
        }
        Server = await ServeServer.StartAsync(new ServeOptions
        {
            Urls = "http://127.0.0.1:0", Runs = [Runs], Out = Out, MaxUploadBytes = MaxUploadBytes, MaxPixels = MaxPixels,
        }, CPU);
        Url = Server.Addresses.Single().TrimEnd('/') + "/";
        const string cat = "/usr/lib/python3/dist-packages/skimage/data/chelsea.png";
        Photo = File.Exists(cat) ? cat : Path.Combine(Server.WorkingFolder, "examples", "scene-1.png");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
