using Aperture.Core;
using Aperture.Data.Volumes;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Segmentation.VNet;

/// <summary>
/// A trained V-Net as a volume segmenter: a volume of any size in (standardised per volume, cut into overlapping
/// tiles of the training patch, see <see cref="VolumeSlidingWindow"/>), class probabilities and labels out. Loaded from
/// a run folder or checkpoint through its model card.
/// </summary>
public sealed class VNetSegmenter
{
    /// <summary>The method's name in model cards (and in <c>aperture train segment --model</c>).</summary>
    public const string Method = "vnet";

    /// <summary>Wraps a network.</summary>
    public VNetSegmenter(VNetNetwork network, IReadOnlyList<string> classNames)
    {
        Network = network;
        ClassNames = classNames;
    }

    /// <summary>The network.</summary>
    public VNetNetwork Network { get; }

    /// <summary>Foreground class names (class id − 1 = index).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model card of a V-Net with these classes and settings.</summary>
    public static ModelCard Card(IReadOnlyList<string> classNames, int inChannels, VNetOptions options) => new()
    {
        Family = ModelFamily.Segmenter,
        Method = Method,
        ClassNames = classNames.ToList(),
        InChannels = inChannels,
        InputSize = options.PatchSize,
        Widths = options.Widths(),
        Settings = ModelCard.SettingsOf(options),
    };

    /// <summary>Class probabilities of a volume.</summary>
    /// <param name="volume">Raw intensities <c>[D, H, W]</c> or <c>[C, D, H, W]</c>, any size.</param>
    /// <returns><c>float32 [K, D, H, W]</c> on the CPU.</returns>
    public Tensor Probabilities(Tensor volume)
    {
        using var scope = NewDisposeScope();
        var x = volume.dim() == 3 ? volume.unsqueeze(0) : volume;
        var standardized = stack(Enumerable.Range(0, (int)x.shape[0]).Select(c => VolumeIntensity.Standardize(x[c])).ToArray());
        var o = Network.Options;
        bool training = Network.training;
        Network.eval();
        try
        {
            var device = Network.parameters().First().device;
            return VolumeSlidingWindow.Probabilities(t => Network.call(t), standardized, o.PatchSize, o.Overlap, o.GaussianBlending, o.TilesPerBatch, device)
                .MoveToOuterDisposeScope();
        }
        finally
        {
            if (training) Network.train();
        }
    }

    /// <summary>Labels of a volume: <c>uint8 [D, H, W]</c>, 0 background.</summary>
    /// <param name="volume">Raw intensities <c>[D, H, W]</c> or <c>[C, D, H, W]</c>.</param>
    public Tensor Segment(Tensor volume)
    {
        using var scope = NewDisposeScope();
        return Probabilities(volume).argmax(0).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Segments a NIfTI volume file and writes the labels as NIfTI (<c>uint8</c>, 0 background) on the same grid, with
    /// the input's affine, pixdim and codes — what <c>aperture segment VOLUME.nii.gz --model RUN</c> does.
    /// </summary>
    /// <param name="input">A <c>.nii</c> or <c>.nii.gz</c> volume (3-D, one channel).</param>
    /// <param name="output">The label file to write (<c>.nii.gz</c> compresses).</param>
    /// <returns>Voxels per class id 0..K−1.</returns>
    /// <exception cref="InvalidDataException">The input is malformed (the message names it).</exception>
    public long[] SegmentFile(string input, string output)
    {
        using var volume = Data.Formats.NiftiFile.Read(input);
        using var labels = Segment(volume.Data);
        Data.Formats.NiftiFile.Write(output, labels, volume.Header);
        using var counts = bincount(labels.flatten().to_type(ScalarType.Int64), minlength: Network.Classes);
        return counts.data<long>().ToArray();
    }

    /// <summary>Loads a trained V-Net from a run folder or checkpoint.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Not a segmenter, not a V-Net, or a damaged file.</exception>
    public static VNetSegmenter Load(string runOrCheckpoint, Device device)
    {
        var (checkpoint, card) = RunFolder.Open(runOrCheckpoint, ModelFamily.Segmenter);
        if (card.Method != Method) throw new InvalidDataException($"{checkpoint}: a '{card.Method}' segmenter, not a V-Net (3-D volumes)");
        var options = card.SettingsAs<VNetOptions>();
        var network = new VNetNetwork(options, Math.Max(1, card.InChannels), card.ClassNames.Count + 1);
        Checkpoint.LoadModule(checkpoint, network);
        network.to(device);
        network.eval();
        return new VNetSegmenter(network, card.ClassNames);
    }
}
