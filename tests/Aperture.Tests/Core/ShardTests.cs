using Aperture.Core;
using Aperture.Tests.Data;

namespace Aperture.Tests.Core;

/// <summary><see cref="Shard"/> (<c>--shard i/N</c>) and <see cref="ImageManifest"/>: the split every batch verb shares.</summary>
public sealed class ShardTests
{
    [Theory]
    [InlineData("0/4", 0, 4)]
    [InlineData("3/4", 3, 4)]
    [InlineData("0/1", 0, 1)]
    [InlineData(" 2/3 ", 2, 3)]
    public void ParsesIOfN(string text, int i, int n) => Assert.Equal(new Shard(i, n), Shard.Parse(text));

    [Fact]
    public void NoShardIsTheWholeBatch()
    {
        Assert.Equal(Shard.Whole, Shard.Parse(null));
        Assert.Equal(Shard.Whole, Shard.Parse(""));
        Assert.True(Shard.Whole.IsWhole);
    }

    [Theory]
    [InlineData("4/4", "0 to 3")]
    [InlineData("5/4", "0 to 3")]
    [InlineData("-1/3", "not i/N")]
    [InlineData("1/0", "at least 1")]
    [InlineData("0/0", "at least 1")]
    [InlineData("x", "not i/N")]
    [InlineData("1", "not i/N")]
    [InlineData("1/", "not i/N")]
    [InlineData("/4", "not i/N")]
    [InlineData("1/2/3", "not i/N")]
    [InlineData("1.5/4", "not i/N")]
    [InlineData("99999999999/3", "not i/N")]
    public void ABadShardIsOneLineAndExitTwo(string text, string says)
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Parse(text));
        Assert.Equal(ErrorBoundary.BadInput, ErrorBoundary.ExitCodeFor(e));
        string line = ErrorBoundary.Describe(e);
        Assert.DoesNotContain("\n", line);
        Assert.Contains($"--shard '{text}'", line);
        Assert.Contains(says, line);
    }

    [Fact]
    public void TheShardsOfABatchTakeEveryInputOnceInterleaved()
    {
        for (int n = 1; n <= 5; n++)
            for (int total = 0; total <= 11; total++)
            {
                var taken = Enumerable.Range(0, n).SelectMany(i => new Shard(i, n).Positions(total)).Order().ToList();
                Assert.Equal(Enumerable.Range(0, total), taken);
                for (int i = 0; i < n; i++)
                    Assert.All(new Shard(i, n).Positions(total), p => Assert.True(new Shard(i, n).Owns(p) && p % n == i));
            }
        Assert.Equal([1, 5, 9], new Shard(1, 4).Positions(10));
        Assert.Equal("proposals.shard-1-of-4.json", new Shard(1, 4).FileName("proposals"));
    }

    [Fact]
    public void TheManifestIsSortedByOrdinalPathDeduplicatedAndTheSameFromAnyArgumentOrder()
    {
        using var dir = new TempDir();
        string images = Directory.CreateDirectory(dir.File("images")).FullName;
        Directory.CreateDirectory(Path.Combine(images, "sub"));
        foreach (string f in new[] { "b.png", "a.JPG", "B.jpeg", "sub/c.png", "notes.txt", "sub/d.gif" }) File.WriteAllText(Path.Combine(images, f), "x");
        string single = dir.File("z.png");
        File.WriteAllText(single, "x");
        string list = dir.File("list.txt");
        File.WriteAllLines(list, ["# inputs", "", single, Path.Combine(images, "b.png")]);

        var m = ImageManifest.Build([single, images], list);
        Assert.Equal(new[] { "B.jpeg", "a.JPG", "b.png", "sub/c.png" }.Select(f => Path.Combine(images, f)).Append(single), m);
        Assert.Equal(m, ImageManifest.Build([images, single, single], null));
        Assert.Equal(ImageManifest.Sha256(m), ImageManifest.Sha256(ImageManifest.Build([images], list)));
        Assert.NotEqual(ImageManifest.Sha256(m), ImageManifest.Sha256(m.Skip(1).ToList()));
    }

    [Fact]
    public void AnOutputFolderInsideTheInputFolderIsNotReadBack()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("a.png"), "x");
        File.WriteAllText(Path.Combine(dir.File("out"), "a-proposals.png"), "x");
        Assert.Equal([dir.File("a.png")], ImageManifest.Build([dir.Path], null, skipFolder: dir.File("out")));
        // Asked for explicitly, the folder is searched.
        Assert.Single(ImageManifest.Build([dir.File("out")], null, skipFolder: dir.File("out")));
    }

    [Fact]
    public void AMissingInputOrNoInputIsOneLine()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<ArgumentException>(() => ImageManifest.Build([dir.File("nope.png")], null));
        Assert.Contains("nope.png: no such file or folder", missing.Message);
        string list = dir.File("list.txt");
        File.WriteAllLines(list, [dir.File("gone.png")]);
        Assert.Contains("listed in " + list, Assert.Throws<ArgumentException>(() => ImageManifest.Build([], list)).Message);
        Assert.Contains("--list", Assert.Throws<FileNotFoundException>(() => ImageManifest.Build([], dir.File("nolist.txt"))).Message);
        Assert.Contains("no images", Assert.Throws<ArgumentException>(() => ImageManifest.Build([dir.Path], null)).Message);
    }
}
