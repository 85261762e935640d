using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Detection.FastRcnn;
using Aperture.Detection.Rcnn;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Saves any of the three detectors to one checkpoint file, and rebuilds it from that file alone.</summary>
public static class DetectorLoader
{
    /// <summary>
    /// Writes <paramref name="detector"/> atomically: its network as module <c>model</c> (and R-CNN's SVMs and regressors
    /// as <c>linear</c>), with a <see cref="DetectorSpec"/> as the <c>model</c> metadata.
    /// </summary>
    /// <param name="path">Checkpoint file.</param>
    /// <param name="detector">A <see cref="SlidingWindowDetector"/>, <see cref="RcnnDetector"/> or <see cref="FastRcnnDetector"/>.</param>
    /// <param name="epoch">Epochs trained.</param>
    /// <param name="proposals">Proposal source name, or null.</param>
    public static void Save(string path, IObjectDetector detector, int epoch, string? proposals)
    {
        switch (detector)
        {
            case RcnnDetector r:
                RcnnTraining.Save(path, r, epoch, proposals);
                return;
            case FastRcnnDetector f:
                Write(path, epoch, new DetectorSpec("fast-rcnn", f.ClassNames, f.Network.Backbone.Widths.ToArray(), FastRcnnDetector.Settings(f.Options), proposals), f.Network);
                return;
            case SlidingWindowDetector s:
                Write(path, epoch, new DetectorSpec("sliding", s.ClassNames, s.Network.Backbone.Widths.ToArray(), SlidingWindowDetector.Settings(s.Options), null), s.Network);
                return;
            default:
                throw new ArgumentException($"cannot save a detector of type {detector.GetType().Name}");
        }
    }

    private static void Write(string path, int epoch, DetectorSpec spec, nn.Module network) =>
        Checkpoint.Save(path, epoch, new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = network },
            metadata: new JsonObject { ["model"] = spec.ToJson() });

    /// <summary>Loads a detector saved by <see cref="Save"/>, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or holds no detector.</exception>
    public static IObjectDetector Load(string path, Device device)
    {
        var spec = DetectorSpec.FromCheckpoint(Checkpoint.ReadInfo(path));
        int k = spec.ClassNames.Count;
        switch (spec.Method)
        {
            case "sliding":
            {
                var o = SlidingWindowDetector.FromSettings(spec.Settings);
                var net = new SlidingWindowNetwork(k, o.WindowSize, o.HiddenSize, spec.Widths);
                Checkpoint.LoadModule(path, net);
                net.to(device);
                return new SlidingWindowDetector(net, spec.ClassNames, o);
            }
            case "rcnn":
            {
                var o = RcnnDetector.FromSettings(spec.Settings);
                var net = new RcnnNetwork(k, o.PoolSize, o.HiddenSize, spec.Widths);
                var linear = new RcnnLinearModels(k, net.FeatureSize);
                Checkpoint.LoadModule(path, net);
                Checkpoint.LoadModule(path, linear, "linear");
                net.to(device); linear.to(device);
                return new RcnnDetector(net, linear, spec.ClassNames, o);
            }
            case "fast-rcnn":
            {
                var o = FastRcnnDetector.FromSettings(spec.Settings);
                var net = new FastRcnnNetwork(k, o.PoolSize, o.HiddenSize, o.RoiAlign, spec.Widths);
                Checkpoint.LoadModule(path, net);
                net.to(device);
                return new FastRcnnDetector(net, spec.ClassNames, o);
            }
            default:
                throw new InvalidDataException($"{path}: unknown detection method '{spec.Method}' (expected one of {string.Join(", ", DetectorSpec.Methods)})");
        }
    }

    /// <summary>The proposal source name a checkpoint's detector was trained with, or null.</summary>
    public static string? ProposalsOf(string path) => DetectorSpec.FromCheckpoint(Checkpoint.ReadInfo(path)).Proposals;
}
