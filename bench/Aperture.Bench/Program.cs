using System.Text.Json;
using Aperture.Bench;

// Speed and quality benchmarks; each prints one JSON object.
//   dotnet run -c Release --project bench/Aperture.Bench -- train-throughput [repeats]
//   dotnet run -c Release --project bench/Aperture.Bench -- detection [--photos DIR] [--no-peers]
//   dotnet run -c Release --project bench/Aperture.Bench -- proposals [--seed S] [--no-peers]
//   dotnet run -c Release --project bench/Aperture.Bench -- memory [epochs=50] [images per epoch=60000]
//   dotnet run -c Release --project bench/Aperture.Bench -- big-images [--skip-full]
//   dotnet run -c Release --project bench/Aperture.Bench -- density [--train N] [--test M] [--sklearn-queries K] [--steps S] [--no-peers]
//   dotnet run -c Release --project bench/Aperture.Bench -- segmentation [--steps N] [--batch B] [--size S] [--models a,b] [--paper-steps N] [--no-peers]
//   dotnet run -c Release --project bench/Aperture.Bench -- generative [--steps N] [--no-peers]
//   dotnet run -c Release --project bench/Aperture.Bench -- detector-speed RUN RUN... [--data DIR] [--images N]
//   dotnet run -c Release --project bench/Aperture.Bench -- detector-errors RUN [--data DIR] [--classifier RUN]
//   dotnet run -c Release --project bench/Aperture.Bench -- optimizer-scalars [seconds per optimizer=10]
var benches = new Dictionary<string, Func<string[], object>>
{
    ["train-throughput"] = TrainThroughput.Run,
    ["detection"] = DetectionBench.Run,
    ["proposals"] = ProposalBench.Run,
    ["memory"] = MemoryBench.Run,
    ["big-images"] = BigImageBench.Run,
    ["big-image-case"] = BigImageBench.RunCase,
    ["density"] = DensityBench.Run,
    ["segmentation"] = SegmentationBench.Run,
    ["generative"] = GenerativeBench.Run,
    ["detector-speed"] = DetectorSpeedBench.Run,
    ["detector-errors"] = DetectorErrorsBench.Run,
    ["optimizer-scalars"] = OptimizerScalarsBench.Run,
};
if (args.Length == 0 || !benches.TryGetValue(args[0], out var bench))
{
    Console.Error.WriteLine($"usage: Aperture.Bench <{string.Join("|", benches.Keys)}> [args]");
    return 2;
}
object result;
try
{
    result = bench(args[1..]);
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
{
    // A wrong argument or a missing or unreadable run, as one line (exit 2), as the CLI reports them.
    Console.Error.WriteLine($"Aperture.Bench {args[0]}: error: {e.Message}");
    return 2;
}
Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
return 0;
