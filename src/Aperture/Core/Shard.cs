using System.Globalization;

namespace Aperture.Core;

/// <summary>
/// One part of a batch split across processes or machines (<c>--shard i/N</c>): shard <see cref="Index"/> of
/// <see cref="Count"/> takes the inputs at positions <c>p</c> of the sorted manifest with <c>p % N == i</c>
/// (interleaved, so that a folder whose big images sort together still spreads evenly). <see cref="Whole"/> (0/1) is
/// a single process doing everything.
/// </summary>
/// <param name="Index">0-based shard number, <c>0 &lt;= Index &lt; Count</c>.</param>
/// <param name="Count">How many shards the batch is split into (at least 1).</param>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole batch in one process.</summary>
    public static Shard Whole => new(0, 1);

    /// <summary>True when this is the whole batch (no split).</summary>
    public bool IsWhole => Count == 1;

    /// <summary>Parses <c>i/N</c> (0-based i); null or empty gives <see cref="Whole"/>.</summary>
    /// <exception cref="ArgumentException">Not two integers with <c>0 &lt;= i &lt; N</c>; the message says what is expected.</exception>
    public static Shard Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Whole;
        string[] parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new ArgumentException($"--shard '{text}' is not i/N: give the 0-based shard number and the shard count, e.g. --shard 0/4 … --shard 3/4");
        if (n < 1) throw new ArgumentException($"--shard '{text}': the shard count must be at least 1");
        if (i >= n) throw new ArgumentException($"--shard '{text}': the shard number must be 0 to {n - 1} (it is 0-based)");
        return new Shard(i, n);
    }

    /// <summary>True when the input at <paramref name="position"/> of the sorted manifest belongs to this shard.</summary>
    public bool Owns(int position) => position % Count == Index;

    /// <summary>The positions this shard takes out of <paramref name="total"/> inputs, ascending.</summary>
    public IEnumerable<int> Positions(int total)
    {
        for (int p = Index; p < total; p += Count) yield return p;
    }

    /// <summary>The file this shard writes for results named <paramref name="name"/>: <c>NAME.shard-i-of-N.json</c>.</summary>
    public string FileName(string name) => $"{name}.shard-{Index}-of-{Count}.json";

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
