using System.CommandLine;
using Aperture.Core;

namespace Aperture.Cli;

/// <summary><c>aperture merge</c>: option wiring for <see cref="ShardMerge"/>.</summary>
internal static class MergeCommand
{
    public static void AddTo(RootCommand root)
    {
        var folders = new Argument<string[]>("folders") { Description = "Folders holding the shard files NAME.shard-i-of-N.json (usually the one --out every shard wrote to)", Arity = ArgumentArity.OneOrMore };
        var cmd = Cli.Command("merge",
            "Join the results of a batch run as N shards (propose, detect, cam, segment or predict with --shard i/N) into the NAME.json (and NAME.timings.json) one process writes. "
            + "Checks first that all N shards are there once, with the same N, verb, options and inputs; else one line naming the file, exit 2, nothing written.",
            "aperture merge /shared/proposals --out /shared/proposals");
        cmd.Add(folders);
        cmd.SetAction(r =>
        {
            string[] dirs = r.GetValue(folders)!;
            var merged = ShardMerge.Merge(dirs, CommonOptions.OutDir(r, dirs[0]));
            if (r.GetValue(CommonOptions.Json)) Output.Json(merged);
            else
                foreach (var m in merged)
                    Output.Line($"{m.Name} ({m.Verb}): {m.Shards} shards, {m.Images} inputs -> {m.Results}{(m.Timings is null ? "" : $" (timings: {m.Timings})")}");
            return 0;
        });
        root.Add(cmd);
    }
}
