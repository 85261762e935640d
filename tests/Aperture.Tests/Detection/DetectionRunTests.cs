using System.Text.Json;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Detection.Rcnn;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>
/// The run behind <c>aperture train detect</c> and the report's chapter, for every registered detector: it trains,
/// its run folder alone rebuilds the detector that was scored, and the results file says what was measured.
/// </summary>
public class DetectionRunTests
{
    public static TheoryData<string> Methods => new(Detectors.Names);

    /// <summary>30 scenes of 96x96 with at most 2 items (60/20/20 split), written to <c>DIR/scenes</c>: enough to train any detector for a test.</summary>
    internal static string SmallScenes(TempDir dir)
    {
        string scenes = dir.File("scenes");
        using var items = FashionMnist.Load(DatasetSplit.Test);
        ScenesWriter.Write(scenes, items, 30, 4, new SceneOptions { Width = 96, Height = 96, MaxItems = 2 }, new SceneSplits(0.6, 0.2, 0.2));
        return scenes;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void EveryDetectorTrainsAndItsRunFolderIsTheModelThatWasScored(string name)
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string scenes = SmallScenes(dir);
        using var data = DetectionData.Load(scenes, limitValidation: 6);
        var method = Detectors.Find(name);
        if (method.UsesProposals) data.AttachProposals(new SelectiveSearchProposals(SelectiveSearchMode.Single, 100, 1), dir.File("proposals"), null);
        string run = dir.File("run");

        var outcome = DetectionRun.Execute(new DetectionSettings
        {
            Method = name, OutputDirectory = run, Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = ["hidden_size=32"],
            Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 2,
        }, data, CPU);

        var r = outcome.Results;
        Assert.Equal((name, 1, data.Test.Count), (r.Method, r.Epochs, r.TestImages));
        Assert.InRange(r.VocMap50, 0, 1);
        Assert.InRange(r.CocoMap, 0, r.VocMap50 + 1e-9);
        Assert.Equal(method.UsesProposals ? "ss-single-100" : null, r.Proposals);
        Assert.All(r.Figures, f => Assert.True(new FileInfo(f).Length > 1000, f));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))))
        {
            Assert.Equal(r.VocMap50, json.RootElement.GetProperty("voc_map50").GetDouble());
            var interval = json.RootElement.GetProperty("voc_map50_interval95").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(2, interval.Length);
            Assert.InRange(r.VocMap50, interval[0], interval[1]);
        }
        // Validation picked best.ckpt: that file is the detector (R-CNN's SVMs and regressors included), and nothing else was saved.
        Assert.Equal(Path.Combine(run, "checkpoints", "best.ckpt"), r.Checkpoint);
        Assert.Empty(Directory.GetFiles(run, "*.ckpt"));
        var (loaded, card, _) = Detectors.Load(run, CPU);
        Assert.Equal((ModelFamily.Detector, name), (card.Family, card.Method));
        Assert.Equal(32, ModelCard.Read(r.Checkpoint).Settings!["hidden_size"]!.GetValue<int>());
        var image = data.Test[0];
        var a = outcome.Detector.Detect(image.Image, image.Proposals);
        var b = loaded.Detect(image.Image, image.Proposals);
        // Equal to rounding, not bit for bit: a Fast R-CNN test running in parallel may switch this process's convolutions
        // between oneDNN and libtorch's own kernels (OneDnnCheck.NativeKernelsWhereCapped), which round differently.
        Assert.Equal(a.Scores.shape, b.Scores.shape);
        Assert.True(a.Scores.allclose(b.Scores, rtol: 1e-5, atol: 1e-6), "the reloaded run's scores differ from the trained detector's");
        // What 'aperture detect' does with an image file: the same detections above the threshold, drawn.
        string file = dir.File("test0.png");
        Aperture.Imaging.ImageTensor.Write(file, image.Image);
        IProposalSource? source = method.UsesProposals ? new DelegateProposalSource("given", _ => image.Proposals!.clone()) : null;
        var found = ImageDetection.Run(loaded, source, file, method.DisplayThreshold, dir.File("drawn.png"));
        Assert.Equal(b.Scores.ge(method.DisplayThreshold).sum().item<long>(), found.Detections.Count);
        Assert.True(File.Exists(found.Drawn));
        // A classifier's verbs refuse it by name.
        var e = Assert.Throws<InvalidDataException>(() => ClassifierSpec.Load(run));
        Assert.Contains("aperture detect", e.Message);
        outcome.Score.DisposeDetections();
    }

    /// <summary>
    /// <c>--resume</c> continues with the options in the run's card, <c>--set</c>'s changes on top: a finished R-CNN run
    /// resumed with a new SVM C trains no epoch but its SVMs again, and its card (what <c>detect</c> rebuilds the model
    /// from) says the new C and threshold; resumed without <c>--set</c>, it keeps them, and its narrower head.
    /// </summary>
    [Fact]
    public void AResumedRunKeepsItsCardsOptionsWithSetsChangesOnTop()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var data = DetectionData.Load(SmallScenes(dir), limitValidation: 6);
        data.AttachProposals(new SelectiveSearchProposals(SelectiveSearchMode.Single, 100, 1), dir.File("proposals"), null);
        string run = dir.File("run");
        DetectionResults Run(bool resume, params string[] set)
        {
            var outcome = DetectionRun.Execute(new DetectionSettings
            {
                Method = "rcnn", OutputDirectory = run, Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = set, Resume = resume,
                Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
            }, data, CPU);
            outcome.Score.DisposeDetections();
            return outcome.Results;
        }
        Tensor Svms(string checkpoint) => Checkpoint.ReadModuleState(checkpoint, RcnnTraining.LinearModule)["svm_weight"];
        (int Hidden, double C, double Threshold) Card(string checkpoint)
        {
            var o = ModelCard.Read(checkpoint).SettingsAs<RcnnOptions>();
            return (o.HiddenSize, o.Svm.C, o.ScoreThreshold);
        }

        var first = Run(false, "hidden_size=32");
        using var before = Svms(first.Checkpoint);
        Assert.Equal((32, new RcnnOptions().Svm.C, new RcnnOptions().ScoreThreshold), Card(first.Checkpoint));

        var changed = Run(true, """svm={"c":0.5}""", "score_threshold=-1.5");
        Assert.Equal(first.Checkpoint, changed.Checkpoint);
        Assert.Equal((32, 0.5, -1.5), Card(changed.Checkpoint));
        Assert.Equal((32, 0.5, -1.5), Card(Path.Combine(run, "checkpoints", "last.ckpt")));
        using var after = Svms(changed.Checkpoint);
        Assert.False(after.allclose(before), "the resumed run's SVMs were not trained again with the new C");
        Assert.Equal(1, Checkpoint.ReadInfo(changed.Checkpoint).Epoch);

        var again = Run(true);
        Assert.Equal((32, 0.5, -1.5), Card(again.Checkpoint));
        using var same = Svms(again.Checkpoint);
        Assert.True(same.allclose(after), "resumed without --set, the SVMs were trained with other options");
    }

    [Fact]
    public void AMethodThatNeedsProposalsSaysSo()
    {
        using var dir = new TempDir();
        using (var items = FashionMnist.Load(DatasetSplit.Test))
            ScenesWriter.Write(dir.File("scenes"), items, 10, 4, new SceneOptions { Width = 64, Height = 64, MaxItems = 1 });
        using var data = DetectionData.Load(dir.File("scenes"));
        var e = Assert.Throws<ArgumentException>(() => DetectionRun.Execute(new DetectionSettings { Method = "fast-rcnn", OutputDirectory = dir.File("run") }, data, CPU));
        Assert.Contains("proposals", e.Message);
        Assert.Throws<ArgumentException>(() => DetectionRun.Execute(new DetectionSettings { Method = "yolo", OutputDirectory = dir.File("run") }, data, CPU));
    }
}
