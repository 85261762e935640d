using System.Runtime.InteropServices;
using Aperture.Core;
using Aperture.Tests.Data;
using Aperture.Training;

namespace Aperture.Tests.Core;

/// <summary>The one error boundary: exit codes, unwrapping of parallel loops' exceptions, and the one line.</summary>
public class ErrorBoundaryTests
{
    public static TheoryData<Exception, int> Codes => new()
    {
        { new InvalidDataException("bad file"), ErrorBoundary.BadInput },
        { new ArgumentException("--epochs must be >= 1"), ErrorBoundary.BadInput },
        { new FileNotFoundException("no such file"), ErrorBoundary.BadInput },
        { new UnauthorizedAccessException("Access to the path '/ro/x' is denied."), ErrorBoundary.BadInput },
        { new FormatException("not a number"), ErrorBoundary.BadInput },
        { new OverflowException("too big"), ErrorBoundary.BadInput },
        { new TrainingStoppedException("loss is NaN"), ErrorBoundary.TrainingStopped },
        { new OutOfMemoryException(), ErrorBoundary.OutOfResources },
        { new IOException("No space left on device", 28), ErrorBoundary.OutOfResources },
        { new ExternalException("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"), ErrorBoundary.OutOfResources },
        { new ExternalException("mat1 and mat2 shapes cannot be multiplied"), ErrorBoundary.InternalError },
        { new NullReferenceException(), ErrorBoundary.InternalError },
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public void EachFailureHasItsDocumentedExitCodeAndOneLine(Exception e, int code)
    {
        Assert.Equal(code, ErrorBoundary.ExitCodeFor(e));
        string line = ErrorBoundary.Describe(e);
        Assert.DoesNotContain('\n', line);
        Assert.NotEmpty(line);
    }

    [Fact]
    public void ExceptionsFromParallelLoopsAreUnwrappedToTheFirstInner()
    {
        var e = Assert.Throws<AggregateException>(() =>
            Parallel.For(0, 4, i => { if (i == 2) throw new InvalidDataException("x.png: file is truncated"); }));
        var nested = new AggregateException(e);
        Assert.IsType<InvalidDataException>(ErrorBoundary.Unwrap(nested));
        Assert.Equal(ErrorBoundary.BadInput, ErrorBoundary.ExitCodeFor(nested));
        Assert.Equal("x.png: file is truncated", ErrorBoundary.Describe(nested));
    }

    [Fact]
    public void AnOutputFolderThatCannotBeCreatedGetsALineNamingItAndSayingItCannotBeWritten()
    {
        // A path under a regular file cannot be created even by root (unlike chmod 555).
        using var dir = new TempDir();
        string file = dir.File("file.txt");
        File.WriteAllText(file, "x");
        string outDir = Path.Combine(file, "sub");
        foreach (var write in new Action[]
                 {
                     () => AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"), "{}"),
                     () => OutputFolder.Create(outDir),
                     () => Aperture.Data.Scenes.ScenesWriter.Write(outDir, Aperture.Tests.Data.Scenes.FashionMnistSample.Load(), 2, 1),
                 })
        {
            var e = Assert.Throws<OutputNotWritableException>(() =>
            {
                try { write(); }
                catch (AggregateException a) { throw ErrorBoundary.Unwrap(a); }
            });
            Assert.Equal(ErrorBoundary.BadInput, ErrorBoundary.ExitCodeFor(e));
            string line = ErrorBoundary.Describe(e);
            Assert.Contains(outDir, line);
            Assert.Contains("cannot be written", line);
        }

        var denied = new UnauthorizedAccessException($"Access to the path '{outDir}' is denied.");
        Assert.Contains(outDir, ErrorBoundary.Describe(denied));
        Assert.Contains("cannot be written", ErrorBoundary.Describe(denied));
    }

    [Fact]
    public void ThreadsAreBoundedToFourTimesTheCores()
    {
        var e = Assert.Throws<ArgumentException>(() => Torch.SetThreads(1000 * Environment.ProcessorCount));
        Assert.Contains("--threads", e.Message);
        Assert.Contains(Torch.MaxThreads.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Throws<ArgumentException>(() => Torch.SetThreads(-1));
        Assert.Equal(4 * Environment.ProcessorCount, Torch.MaxThreads);
    }
}
