namespace Aperture.Imaging;

/// <summary>One named series of a line plot, such as the validation loss per epoch.</summary>
/// <param name="Name">Legend text ("train loss").</param>
/// <param name="Values">The y values; non-finite ones (a diverged loss) are left out of the line.</param>
/// <param name="X">The x values, as many as <paramref name="Values"/>; null gives 1, 2, 3, … (epochs).</param>
/// <param name="RightAxis">Plot against the right-hand y axis, e.g. accuracy beside a loss.</param>
public sealed record Curve(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? X = null, bool RightAxis = false);
