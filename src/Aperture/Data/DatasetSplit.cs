namespace Aperture.Data;

/// <summary>Which part of a dataset with a fixed train/test division to load.</summary>
public enum DatasetSplit
{
    /// <summary>The training images (60,000 for MNIST and Fashion-MNIST).</summary>
    Train,

    /// <summary>The test images (10,000 for MNIST and Fashion-MNIST).</summary>
    Test,
}
