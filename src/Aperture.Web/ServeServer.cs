using System.Reflection;
using Aperture.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Aperture.Web;

/// <summary>
/// <c>aperture serve</c>: a local web page (ASP.NET Core, bound to 127.0.0.1 by default) where a person uploads an image
/// or picks an example, chooses a trained run found under the runs folders and what to see, and gets the picture and
/// JSON the matching CLI verb writes. Every file it writes is inside its temporary working folder (deleted on stop).
/// </summary>
public sealed class ServeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WorkFolder _work;
    private readonly Analyzer _analyzer;

    private ServeServer(WebApplication app, WorkFolder work, Analyzer analyzer, IReadOnlyList<string> examples)
    {
        (_app, _work, _analyzer, Examples) = (app, work, analyzer, examples);
    }

    /// <summary>The addresses the page is served at (the real port when port 0 was asked for).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>The working folder (everything the server writes is inside it).</summary>
    public string WorkingFolder => _work.Root;

    /// <summary>The example images offered.</summary>
    public IReadOnlyList<string> Examples { get; }

    /// <summary>Checks the options, makes the working folder and the examples, and starts listening.</summary>
    /// <param name="options">Addresses, runs folders, limits.</param>
    /// <param name="device">Where models run.</param>
    /// <exception cref="ArgumentException">A bad option, or the address is in use.</exception>
    /// <exception cref="OutputNotWritableException">The working folder cannot be made under <see cref="ServeOptions.Out"/>.</exception>
    public static async Task<ServeServer> StartAsync(ServeOptions options, Device device)
    {
        options.Validate();
        var work = new WorkFolder(options.Out);
        var analyzer = new Analyzer(device, options.Seed);
        try
        {
            var examples = ExampleImages.Write(work.Examples, options.Data, options.Seed);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = work.Root, Args = [] });
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls(options.Urls);
            // The body is read by Upload.SaveAsync up to the limit; Kestrel refuses a declared length beyond it up front.
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1);
            var app = builder.Build();
            var server = new ServeServer(app, work, analyzer, examples);
            server.Map(app, new RunCatalog(options.Runs), options);
            try
            {
                await app.StartAsync();
            }
            catch (IOException e)
            {
                // Kestrel's "Failed to bind to address …: address already in use." is about the address, not a file.
                throw new ArgumentException($"{e.Message.TrimEnd('.')}; choose another --port or --urls", e);
            }
            return server;
        }
        catch
        {
            analyzer.Dispose();
            work.Dispose();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="stop"/> is cancelled (Ctrl+C, SIGTERM) or the host stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken stop) => _app.WaitForShutdownAsync(stop);

    private void Map(WebApplication app, RunCatalog catalog, ServeOptions options)
    {
        app.Use(async (context, next) =>
        {
            var h = context.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob:; object-src 'none'; frame-ancestors 'none'";
            await next(context);
        });
        app.MapGet("/", () => Page("index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Page("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Page("app.css", "text/css; charset=utf-8"));
        app.MapGet("/api/runs", () => Results.Json(new
        {
            runs = catalog.Scan().Select(r => new
            {
                id = r.Id, family = r.Card.Family, method = r.Card.Method, classes = r.Card.ClassNames,
                analyses = r.Analyses.Select(Analyses.Name),
            }),
            examples = Examples,
            limits = new { max_upload_bytes = options.MaxUploadBytes, max_pixels = options.MaxPixels },
        }));
        app.MapGet("/examples/{name}", (string name) =>
            _work.ExampleFile(name) is { } path ? Results.File(path, "image/png") : Results.NotFound());
        app.MapGet("/api/results/{id}/{name}", (string id, string name) =>
            _work.RequestFile(id, name) is { } path ? Results.File(path, ContentType(path), fileDownloadName: null) : Results.NotFound());
        app.MapPost("/api/analyze", (Delegate)((HttpContext context) => Analyze(context, catalog, options)));
    }

    private async Task<IResult> Analyze(HttpContext context, RunCatalog catalog, ServeOptions options)
    {
        // A body that is not a simple form type makes browsers ask first (CORS preflight), which this server never allows:
        // other web sites cannot post images to it.
        string type = context.Request.ContentType ?? "";
        if (!type.StartsWith("application/octet-stream", StringComparison.Ordinal) && !type.StartsWith("image/", StringComparison.Ordinal))
            return Error(StatusCodes.Status415UnsupportedMediaType, "send the image as the request body with Content-Type application/octet-stream or image/*");
        var q = context.Request.Query;
        string name = Path.GetFileName(q["name"].ToString() is { Length: > 0 } n ? n : q["example"].ToString());
        string? folder = null;
        try
        {
            var run = q["run"].ToString() is { Length: > 0 } id ? catalog.Find(id) : null;
            var request = new AnalysisRequest(Analyses.Parse(q["analysis"]), run, int.TryParse(q["count"], out int c) ? c : 0,
                q["mode"].ToString() is { Length: > 0 } m ? m : "fast");
            request.Validate();
            (string requestId, folder) = _work.NewRequest();
            string image;
            if (q["example"].ToString() is { Length: > 0 } example)
            {
                string source = _work.ExampleFile(example) ?? throw new ArgumentException($"no example image '{example}'");
                image = Path.Combine(folder, Path.GetFileName(source));
                File.Copy(source, image);
            }
            else
            {
                if (name.Length == 0) name = "upload";
                image = await Upload.SaveAsync(context.Request.Body, name, folder, options.MaxUploadBytes, options.MaxPixels, context.RequestAborted);
            }
            var outcome = await _analyzer.RunAsync(request, image, name, folder);
            folder = null;
            string Url(string file) => $"api/results/{requestId}/{file}";
            return Results.Json(new
            {
                id = requestId, name, analysis = Analyses.Name(request.Analysis), run = run?.Id, image = Url(Path.GetFileName(image)),
                picture = outcome.Picture is { } p ? Url(p) : null, json = Url(outcome.Json), summary = outcome.Summary,
                items = outcome.Items.Select(i => new { label = i.Label, score = i.Score, box = i.Box }), ms = Math.Round(outcome.Ms),
            });
        }
        catch (Exception e) when (e is UploadTooLargeException or BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            return Error(StatusCodes.Status413PayloadTooLarge, (e as UploadTooLargeException ?? Upload.TooLarge(name, options.MaxUploadBytes)).Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            bool bad = ErrorBoundary.ExitCodeFor(e) == ErrorBoundary.BadInput;
            if (!bad) Console.Error.WriteLine($"aperture serve: {context.Request.Path}{context.Request.QueryString}: {e}");
            return Error(bad ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError, ErrorBoundary.Describe(e));
        }
        finally
        {
            // A failed request leaves nothing behind.
            if (folder is not null) WorkFolder.Delete(folder);
        }
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".json" => "application/json",
        ".webp" => "image/webp",
        ".gif" => "image/gif",
        ".bmp" => "image/bmp",
        _ => "application/octet-stream",
    };

    private static IResult Page(string file, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Aperture.Web.Page.{file}")
            ?? throw new InvalidOperationException($"the page resource {file} is missing from Aperture.Web.dll");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }

    /// <summary>Stops listening, frees the loaded model and deletes the working folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _analyzer.Dispose();
        _work.Dispose();
    }
}
