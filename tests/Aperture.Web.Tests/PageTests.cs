using Microsoft.Playwright;

namespace Aperture.Web.Tests;

[CollectionDefinition("serve")]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>;

/// <summary>
/// The page in a real browser: Debian's headless Chromium driven by Playwright, against the server started in-process
/// on a free loopback port. Set APERTURE_SCREENSHOT to a PNG path to keep the page's screenshot somewhere else.
/// </summary>
[Collection("serve")]
public sealed class PageTests(ServeFixture serve) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowserContext _browser = null!;
    private readonly string _profile = Path.Combine(Path.GetTempPath(), "aperture-chromium-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        if (!File.Exists(BrowserFactAttribute.Chromium)) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = BrowserFactAttribute.Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }

    private async Task<IPage> Open()
    {
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(serve.Url);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#run option').length > 1 && document.querySelectorAll('.example').length > 0");
        return page;
    }

    private static async Task Run(IPage page, string run, string analysis)
    {
        await page.SelectOptionAsync("#run", run);
        await page.SelectOptionAsync("#analysis", analysis);
        await page.ClickAsync("#go");
        await page.WaitForFunctionAsync("() => !document.querySelector('#go').disabled");
    }

    private static async Task<string> ResultSource(IPage page) => await page.GetAttributeAsync("#result-img", "src") ?? "";

    private static async Task<bool> ErrorShown(IPage page) => await page.IsVisibleAsync("#error");

    [BrowserFact]
    public async Task AnUploadedPhotoGetsItsProposalsDrawnWhileProgressShows()
    {
        var page = await Open();
        // Hold the request a moment so the progress can be seen, as on a slow machine.
        await page.RouteAsync("**/api/analyze**", async route => { await Task.Delay(400); await route.ContinueAsync(); });
        await page.SetInputFilesAsync("#file", serve.Photo);
        await page.SelectOptionAsync("#run", "");
        await page.SelectOptionAsync("#analysis", "propose");
        await page.ClickAsync("#go");
        await page.WaitForSelectorAsync("#status.busy");
        Assert.Contains("Selective-search proposals", await page.TextContentAsync("#status"));
        await page.WaitForFunctionAsync("() => !document.querySelector('#go').disabled");

        Assert.False(await ErrorShown(page), await page.TextContentAsync("#error"));
        Assert.EndsWith($"/{Path.GetFileNameWithoutExtension(serve.Photo)}-proposals.png", await ResultSource(page));
        Assert.Contains("proposals in", await page.TextContentAsync("#summary"));
        Assert.Equal(Analyzer.MaxListed, await page.Locator("#items tbody tr").CountAsync());
        // The image and the result can be downloaded: the links serve a PNG and JSON.
        var png = await page.APIRequest.GetAsync(serve.Url + await page.GetAttributeAsync("#download-picture", "href"));
        Assert.Equal("image/png", png.Headers["content-type"]);
        Assert.True((await png.BodyAsync()).Length > 1000);
        var json = await page.APIRequest.GetAsync(serve.Url + await page.GetAttributeAsync("#download-json", "href"));
        Assert.Contains("\"boxes\"", await json.TextAsync());
        var natural = await page.EvalOnSelectorAsync<int>("#result-img", "img => img.naturalWidth");
        Assert.True(natural > 100, $"the drawn proposals should be displayed, naturalWidth {natural}");
    }

    [BrowserFact]
    public async Task AnUploadedImageGetsItsClassActivationMapsDrawnWithBoxes()
    {
        var page = await Open();
        await page.SetInputFilesAsync("#file", serve.Photo);
        await Run(page, serve.ClassifierId, "cam");

        Assert.False(await ErrorShown(page), await page.TextContentAsync("#error"));
        Assert.EndsWith($"/cam_{Path.GetFileNameWithoutExtension(serve.Photo)}.png", await ResultSource(page));
        Assert.Contains("CAM of vgg-gap", await page.TextContentAsync("#summary"));
        var rows = await page.Locator("#items tbody tr").AllTextContentsAsync();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Matches(@"\d+, \d+, \d+, \d+", r));
    }

    [BrowserFact]
    public async Task ACorruptUploadGetsAClearMessageAndTheServerKeepsServing()
    {
        var page = await Open();
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "holiday.jpg", MimeType = "image/jpeg", Buffer = "this is not a JPEG at all"u8.ToArray() });
        await Run(page, serve.ClassifierId, "predict");
        Assert.True(await ErrorShown(page));
        Assert.Equal("holiday.jpg: not a readable image (Unimplemented); PNG and JPEG are supported", await page.TextContentAsync("#error"));

        // A PNG cut short: the header reads, the pixels do not.
        byte[] photo = await File.ReadAllBytesAsync(serve.Photo);
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "cut.png", MimeType = "image/png", Buffer = photo[..(photo.Length / 3)] });
        await Run(page, "", "propose");
        Assert.Equal("cut.png: file is truncated (image data ends early)", await page.TextContentAsync("#error"));

        // The server still serves: an example image gets its top classes.
        await page.ClickAsync(".example[data-name='item-ankle-boot.png']");
        Assert.False(await ErrorShown(page));
        await Run(page, serve.ClassifierId, "predict");
        Assert.False(await ErrorShown(page), await page.TextContentAsync("#error"));
        Assert.Equal(3, await page.Locator("#items tbody tr").CountAsync());
    }

    [BrowserFact]
    public async Task ThePageIsScreenshottedWithAnImageARunAndAnOverlay()
    {
        var page = await Open();
        await page.ClickAsync(".example[data-name='item-ankle-boot.png']");
        await Run(page, serve.ClassifierId, "cam");
        Assert.False(await ErrorShown(page), await page.TextContentAsync("#error"));
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('figure img')].every(i => i.complete && i.naturalWidth > 0)");
        string file = Environment.GetEnvironmentVariable("APERTURE_SCREENSHOT") is { Length: > 0 } target ? target : Path.Combine(AppContext.BaseDirectory, "serve-screenshot.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        Assert.True(new FileInfo(file).Length > 20_000, file);
    }
}
