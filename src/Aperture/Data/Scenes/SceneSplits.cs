namespace Aperture.Data.Scenes;

/// <summary>How a set of generated scenes is divided into train / val / test, as fractions (normalised by their sum).</summary>
/// <param name="Train">Fraction of scenes for training.</param>
/// <param name="Val">Fraction for validation.</param>
/// <param name="Test">Fraction for testing.</param>
public sealed record SceneSplits(double Train = 0.8, double Val = 0.1, double Test = 0.1)
{
    /// <summary>
    /// The split of each of <paramref name="count"/> scenes: the first ~Train share are "train", then "val", then "test"
    /// (scenes are independent draws, so contiguous blocks are as good as a shuffle).
    /// </summary>
    public IReadOnlyList<(string Name, int Start, int Count)> Assign(int count)
    {
        if (Train < 0 || Val < 0 || Test < 0 || Train + Val + Test <= 0 || !double.IsFinite(Train + Val + Test))
            throw new ArgumentException($"scene splits train {Train}, val {Val}, test {Test} must be non-negative with a positive sum");
        double sum = Train + Val + Test;
        int nTrain = (int)Math.Round(count * Train / sum), nVal = (int)Math.Round(count * Val / sum);
        nVal = Math.Min(nVal, count - nTrain);
        int nTest = count - nTrain - nVal;
        var result = new List<(string, int, int)>();
        if (Train > 0) result.Add(("train", 0, nTrain));
        if (Val > 0) result.Add(("val", nTrain, nVal));
        if (Test > 0) result.Add(("test", nTrain + nVal, nTest));
        else if (nTest > 0) result[^1] = (result[^1].Item1, result[^1].Item2, result[^1].Item3 + nTest);
        return result;
    }
}
