using System.Globalization;
using SkiaSharp;

namespace Aperture.Imaging;

/// <summary>Text under one tile of an <see cref="ImageGrid"/>; lines are separated by '\n'.</summary>
/// <param name="Text">The caption; may hold several lines.</param>
/// <param name="Color">Its colour.</param>
public sealed record Caption(string Text, SKColor Color)
{
    /// <summary>Dark green: a right prediction.</summary>
    public static SKColor Right { get; } = new(0, 130, 0);

    /// <summary>Dark red: a wrong prediction.</summary>
    public static SKColor Wrong { get; } = new(200, 0, 0);

    /// <summary>A caption in near-black.</summary>
    public static Caption Plain(string text) => new(text, new SKColor(30, 30, 30));

    /// <summary>
    /// A prediction: "Coat 0.93" in green when it equals <paramref name="truth"/>, otherwise in red with
    /// the truth on a second line ("Coat 0.93" / "true Shirt").
    /// </summary>
    public static Caption Prediction(string predicted, double score, string truth)
    {
        string head = $"{predicted} {score.ToString("0.00", CultureInfo.InvariantCulture)}";
        return predicted == truth ? new(head, Right) : new($"{head}\ntrue {truth}", Wrong);
    }
}
