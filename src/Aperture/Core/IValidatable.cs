namespace Aperture.Core;

/// <summary>
/// An options record that can check itself: <see cref="Validate"/> throws one <see cref="ArgumentException"/> naming
/// the first bad value. Recipes call it when options are changed by name (<c>--set name=value</c>), so a bad value is
/// refused before any data is read, not after an hour of preparation.
/// </summary>
public interface IValidatable
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value; returns when all are good.</summary>
    void Validate();
}
