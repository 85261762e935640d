using System.Text;
using System.Text.RegularExpressions;

namespace Aperture.Tests.Fuzz;

/// <summary>
/// Makes damaged variants of a valid file, the way real files get damaged or edited: bit flips, truncation, splices
/// of the file's own bytes, "interesting" integers written over the bytes (0, −1, 2³¹−1, 2³¹, 2⁶³−1, …), and, for text
/// formats, numbers and values replaced by wrong ones (huge, negative, fractional, NaN, a string, null, an array).
/// Seeded: case i of a given seed is always the same bytes, so a failure names a case that can be replayed.
/// </summary>
internal static partial class Mutator
{
    private static readonly long[] InterestingIntegers =
        [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue];

    private static readonly string[] InterestingValues =
        ["0", "-1", "1.5", "-0.0", "1e309", "-1e309", "NaN", "99999999999999999999", "2147483648", "-2147483649",
         "\"x\"", "null", "[]", "{}", "true", "", "1e-320", "0x10"];

    /// <summary>One damaged copy of <paramref name="valid"/>; text formats also get value-level mutations.</summary>
    public static byte[] Mutate(byte[] valid, Random random, bool text)
    {
        int kind = random.Next(text ? 7 : 5);
        return kind switch
        {
            0 => FlipBits(valid, random),
            1 => valid[..random.Next(valid.Length)],
            2 => Splice(valid, random),
            3 => OverwriteInteger(valid, random),
            4 => FlipBits(OverwriteInteger(valid, random), random),
            5 => ReplaceValue(valid, random),
            _ => DropOrRepeatLine(valid, random),
        };
    }

    private static byte[] FlipBits(byte[] data, Random random)
    {
        var copy = (byte[])data.Clone();
        if (copy.Length == 0) return copy;
        int flips = 1 + random.Next(8);
        for (int i = 0; i < flips; i++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    private static byte[] Splice(byte[] data, Random random)
    {
        if (data.Length < 2) return data;
        int from = random.Next(data.Length), length = random.Next(1, Math.Min(256, data.Length - from) + 1);
        int to = random.Next(data.Length);
        bool insert = random.Next(2) == 0;
        var chunk = data.AsSpan(from, length).ToArray();
        var head = data.AsSpan(0, to).ToArray();
        var tail = insert ? data.AsSpan(to).ToArray() : data.AsSpan(Math.Min(data.Length, to + length)).ToArray();
        return [.. head, .. chunk, .. tail];
    }

    private static byte[] OverwriteInteger(byte[] data, Random random)
    {
        var copy = (byte[])data.Clone();
        int width = new[] { 1, 2, 4, 8 }[random.Next(4)];
        if (copy.Length < width) return copy;
        long value = InterestingIntegers[random.Next(InterestingIntegers.Length)];
        var bytes = BitConverter.GetBytes(value);
        if (random.Next(2) == 0) Array.Reverse(bytes, 0, width); // big-endian formats (IDX) as well as little-endian ones
        int at = random.Next(copy.Length - width + 1);
        Array.Copy(bytes, 0, copy, at, width);
        return copy;
    }

    private static byte[] ReplaceValue(byte[] data, Random random)
    {
        string s = Encoding.UTF8.GetString(data);
        var matches = ValueToken().Matches(s);
        if (matches.Count == 0) return FlipBits(data, random);
        var m = matches[random.Next(matches.Count)];
        string replacement = InterestingValues[random.Next(InterestingValues.Length)];
        return Encoding.UTF8.GetBytes(s[..m.Index] + replacement + s[(m.Index + m.Length)..]);
    }

    private static byte[] DropOrRepeatLine(byte[] data, Random random)
    {
        var lines = Encoding.UTF8.GetString(data).Split('\n').ToList();
        int i = random.Next(lines.Count);
        if (random.Next(2) == 0) lines.RemoveAt(i); else lines.Insert(i, lines[random.Next(lines.Count)]);
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    /// <summary>Numbers, quoted strings and the literals true/false/null: the values a text format's parser converts.</summary>
    [GeneratedRegex("""-?\d+(\.\d+)?([eE][-+]?\d+)?|"[^"\n]*"|\btrue\b|\bfalse\b|\bnull\b""")]
    private static partial Regex ValueToken();
}
