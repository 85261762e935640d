using Aperture.Data.Scenes;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// Image-level labels for weakly supervised training: per image a multi-hot vector over the classes, 1 where at least
/// one object of the class is in the image and 0 elsewhere. The boxes are not used: this is all the network sees.
/// </summary>
public static class MultiLabelTargets
{
    /// <summary>The multi-hot vector of one image: <c>float32 [K]</c>.</summary>
    /// <param name="classIds">The classes of the image's objects (repeats allowed).</param>
    /// <param name="numClasses">K.</param>
    /// <exception cref="ArgumentException">A class outside 0 … K − 1.</exception>
    public static Tensor FromClasses(IEnumerable<int> classIds, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "need at least one class");
        var v = new float[numClasses];
        foreach (int c in classIds)
        {
            if (c < 0 || c >= numClasses) throw new ArgumentException($"class {c} is outside the {numClasses} classes (0 … {numClasses - 1})");
            v[c] = 1;
        }
        return tensor(v);
    }

    /// <summary>The multi-hot targets of scenes: <c>float32 [N, K]</c>, row n from the objects of scene n.</summary>
    public static Tensor FromScenes(IReadOnlyList<Scene> scenes, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "need at least one class");
        var v = new float[scenes.Count * numClasses];
        for (int n = 0; n < scenes.Count; n++)
            foreach (var o in scenes[n].Objects)
            {
                if (o.ClassId < 0 || o.ClassId >= numClasses)
                    throw new ArgumentException($"scene {scenes[n].Index}: class {o.ClassId} is outside the {numClasses} classes");
                v[n * numClasses + o.ClassId] = 1;
            }
        return tensor(v, new long[] { scenes.Count, numClasses });
    }
}
