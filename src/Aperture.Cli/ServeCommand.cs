using System.CommandLine;
using Aperture.Web;

namespace Aperture.Cli;

/// <summary><c>aperture serve</c>: option wiring for <see cref="ServeServer"/>.</summary>
internal static class ServeCommand
{
    public static void AddTo(RootCommand root)
    {
        var defaults = new ServeOptions();
        var runs = new Option<string[]>("--runs") { Description = "Folders searched for trained runs (repeatable; default: runs and report/runs)", AllowMultipleArgumentsPerToken = true };
        var port = new Option<int?>("--port") { Description = "Port on 127.0.0.1 (default 5117; 0: a free port)" };
        var urls = new Option<string?>("--urls") { Description = "Addresses to listen on, ';'-separated, e.g. http://0.0.0.0:8080 (instead of --port; anyone who reaches them can use the page)" };
        var maxUpload = new Option<double>("--max-upload-mb") { Description = "Largest upload in MB", DefaultValueFactory = _ => defaults.MaxUploadBytes / (1024.0 * 1024) };
        var maxPixels = new Option<double>("--max-megapixels") { Description = "Largest image in megapixels, checked from its header before decoding", DefaultValueFactory = _ => defaults.MaxPixels / 1e6 };
        var cmd = Cli.Command("serve",
            "A local web page to try an image on the trained runs found under --runs: selective-search proposals, detections, CAM / Grad-CAM, top-k classes, segmentation masks. Its working files go to a temporary folder under --out (default serve), deleted on exit.",
            "aperture serve --runs runs --port 5117");
        foreach (var o in new Option[] { runs, port, urls, maxUpload, maxPixels }) cmd.Add(o);
        cmd.SetAction(async (r, stop) =>
        {
            var device = CommonOptions.Apply(r);
            if (r.GetValue(urls) is not null && r.GetValue(port) is not null) throw new ArgumentException("give --urls or --port, not both");
            var options = new ServeOptions
            {
                Urls = r.GetValue(urls) ?? $"http://127.0.0.1:{r.GetValue(port) ?? 5117}",
                Runs = r.GetValue(runs) is { Length: > 0 } folders ? folders : defaults.Runs,
                Out = CommonOptions.OutDir(r, defaults.Out),
                MaxUploadBytes = (long)(r.GetValue(maxUpload) * 1024 * 1024),
                MaxPixels = (long)(r.GetValue(maxPixels) * 1e6),
                Data = r.GetValue(CommonOptions.Data),
                Seed = r.GetValue(CommonOptions.Seed),
            };
            // Ctrl+C and SIGTERM cancel `stop` (System.CommandLine's handler); the working folder is deleted on the way out.
            await using var server = await ServeServer.StartAsync(options, device);
            Output.Line($"serving {string.Join(", ", server.Addresses)} ({string.Join(", ", options.Runs)}); working folder {server.WorkingFolder}; Ctrl+C stops");
            await server.WaitForShutdownAsync(stop);
            return 0;
        });
        root.Add(cmd);
    }
}
