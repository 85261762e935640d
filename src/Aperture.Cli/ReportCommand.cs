using System.CommandLine;
using Aperture.Reports;

namespace Aperture.Cli;

/// <summary><c>aperture report</c>: the README's main command.</summary>
internal static class ReportCommand
{
    public static void AddTo(RootCommand root)
    {
        var quick = new Option<bool>("--quick") { Description = "A short tour (subsets, few epochs): about 5 minutes on 2 cores (about 15 on a CPU whose faulty oneDNN Aperture turns off, see the README)" };
        var cmd = Cli.Command("report",
            "Run every method on the default data and write report/index.html, one chapter per method (full run: about an hour on 2 cores).",
            "aperture report --quick --out report");
        cmd.Add(quick);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string outDir = CommonOptions.OutDir(r, "report");
            string index;
            using (var progress = CommonOptions.Progress(r))
                index = ReportTour.Run(new ReportSettings(outDir, r.GetValue(quick), r.GetValue(CommonOptions.Data), r.GetValue(CommonOptions.Seed)),
                    device, progress.Log);
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { report = index });
            else Output.Line($"report written: {index}");
            return 0;
        });
        root.Add(cmd);
    }
}
