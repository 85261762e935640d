using System.Security.Cryptography;
using System.Text;
using Aperture.Core;
using Aperture.Tests.Training;
using TorchSharp;

namespace Aperture.Tests.Core;

/// <summary>Checkpoints whose header was edited with a valid checksum, and temporary files a killed writer left.</summary>
public class HardeningTests
{
    private static string Saved()
    {
        string path = Path.Combine(ToyClassification.TempDir(), "x.ckpt");
        using var a = ToyClassification.Model();
        Checkpoint.Save(path, 1, new Dictionary<string, torch.nn.Module> { ["model"] = a });
        return path;
    }

    /// <summary>Rewrites the body through <paramref name="edit"/> (given the offset of the section count) and re-signs it.</summary>
    private static void EditAndResign(string path, Action<byte[], int> edit)
    {
        byte[] bytes = File.ReadAllBytes(path);
        const int start = 12, hash = 32;
        using (var r = new BinaryReader(new MemoryStream(bytes, start, bytes.Length - start - hash), Encoding.UTF8))
        {
            r.ReadString();
            edit(bytes, start + (int)r.BaseStream.Position);
        }
        SHA256.HashData(bytes.AsSpan(start, bytes.Length - start - hash)).CopyTo(bytes, bytes.Length - hash);
        File.WriteAllBytes(path, bytes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void AnEditedSectionCountIsRefusedBeforeAllocating(int count)
    {
        string path = Saved();
        EditAndResign(path, (b, at) => BitConverter.GetBytes(count).CopyTo(b, at));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(path));
        Assert.Contains(Path.GetFullPath(path), e.Message);
        Assert.Contains("sections", e.Message);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(long.MaxValue)]
    [InlineData(-5L)]
    public void AnEditedSectionLengthIsRefused(long length)
    {
        string path = Saved();
        EditAndResign(path, (b, at) =>
        {
            int nameAt = at + sizeof(int) + 1; // count, kind
            int nameLength = b[nameAt]; // "model": one length byte
            BitConverter.GetBytes(length).CopyTo(b, nameAt + 1 + nameLength);
        });
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(path));
        Assert.Contains("'model'", e.Message);
    }

    [Fact]
    public void StaleTemporaryFilesOfDeadWritersAreRemovedAndLiveOnesKept()
    {
        string dir = ToyClassification.TempDir();
        string stale = Path.Combine(dir, $".best.ckpt.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        string live = Path.Combine(dir, $".last.ckpt.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string other = Path.Combine(dir, ".notes.tmp");
        foreach (var f in new[] { stale, live, other }) File.WriteAllText(f, "x");
        var removed = AtomicFile.RemoveStaleTemps(dir);
        Assert.Equal([stale], removed);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other));
    }
}
