using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Tests;

/// <summary>The library resolver, checked without TensorFlow: missing files, files that are not TensorFlow, diagnostics.</summary>
[TestFixture]
[Category("Native")]
public class ResolverTests
{
    private static string SystemLibrary(params string[] names)
    {
        string[] dirs = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"];
        foreach (string d in dirs)
        {
            foreach (string n in names)
            {
                string p = Path.Combine(d, n);
                if (File.Exists(p))
                {
                    return p;
                }
            }
        }

        Assert.Ignore($"None of {string.Join(", ", names)} was found on this machine.");
        return null!;
    }

    [Test]
    public void AMissingFileIsReportedWithItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-tensorflow-{Guid.NewGuid():N}.so");
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(path, [], []);
        Assert.Multiple(() =>
        {
            Assert.That(r.Handle, Is.EqualTo((nint)0));
            Assert.That(r.Diagnostics, Does.Contain(path));
            Assert.That(r.Diagnostics, Does.Contain("no such file"));
            Assert.That(r.Diagnostics, Does.Contain(TensorFlowRuntime.LibraryPathVariable));
        });
    }

    [TestCase("libz.so.1")]
    [TestCase("libc.so.6")]
    public void ALibraryWithoutTheCApiIsRejectedWithTheMissingSymbols(string name)
    {
        string path = SystemLibrary(name);
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(path, [], []);
        Assert.Multiple(() =>
        {
            Assert.That(r.Handle, Is.EqualTo((nint)0), "a library without TF_Version must not be accepted");
            Assert.That(r.Diagnostics, Does.Contain(path));
            Assert.That(r.Diagnostics, Does.Contain("loaded, but it is not a TensorFlow C library"));
            Assert.That(r.Diagnostics, Does.Contain($"{LibraryResolver.RequiredSymbols.Length} of {LibraryResolver.RequiredSymbols.Length} required symbols are missing"));
            Assert.That(r.Diagnostics, Does.Contain("TF_Version"));
        });
    }

    [Test]
    public void TheDiagnosticsListEveryPlaceTried()
    {
        string missingExplicit = Path.Combine(Path.GetTempPath(), $"explicit-{Guid.NewGuid():N}.so");
        string[] defaults = LibraryResolver.DefaultCandidates().ToArray();
        string[] fallbacks = LibraryResolver.FallbackCandidates().ToArray();
        // Only meaningful where none of these is a TensorFlow library.
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(missingExplicit, defaults, fallbacks);
        if (r.Handle != 0)
        {
            Assert.Ignore($"A TensorFlow library is installed ({r.Path}); the failure listing cannot be observed here.");
        }

        Assert.That(defaults, Is.Not.Empty);
        Assert.That(fallbacks, Has.Some.Contains("libtensorflow_cc.so.2").Or.Some.Contains("tensorflow_cc").Or.Some.Contains("libtensorflow_cc"));
        foreach (string place in defaults.Concat(fallbacks).Append(missingExplicit))
        {
            Assert.That(r.Diagnostics, Does.Contain(place));
        }

        int explicitAt = r.Diagnostics.IndexOf(missingExplicit, StringComparison.Ordinal);
        Assert.That(r.Diagnostics.IndexOf(defaults[0], StringComparison.Ordinal), Is.LessThan(explicitAt), "default search comes first");
        Assert.That(r.Diagnostics.IndexOf(fallbacks[0], StringComparison.Ordinal), Is.GreaterThan(explicitAt), "versioned names come last");
    }

    [Test]
    public void AnUnsetVariableIsSaidToBeUnset()
    {
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(null, [], []);
        Assert.That(r.Diagnostics, Does.Contain($"{TensorFlowRuntime.LibraryPathVariable} is not set"));
    }

    [Test]
    public void TryLoadNeverThrowsAndExplainsItself()
    {
        string? previous = Environment.GetEnvironmentVariable(TensorFlowRuntime.LibraryPathVariable);
        try
        {
            Environment.SetEnvironmentVariable(TensorFlowRuntime.LibraryPathVariable, SystemLibrary("libz.so.1"));
            bool loaded = false;
            string diagnostics = string.Empty;
            Assert.DoesNotThrow(() => loaded = TensorFlowRuntime.TryLoad(out diagnostics));
            Assert.That(diagnostics, Is.Not.Empty);
            if (!loaded)
            {
                Assert.That(diagnostics, Does.Contain("libz.so.1"));
                Assert.That(diagnostics, Does.Contain("not a TensorFlow C library"));
                Assert.That(TensorFlowRuntime.IsAvailable, Is.False);
                var ex = Assert.Throws<TensorFlowNotAvailableException>(() => _ = TensorFlowRuntime.Version);
                Assert.That(ex!.Message, Does.Contain("libz.so.1"));
            }
            else
            {
                Assert.That(diagnostics, Does.Contain("loaded from"));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(TensorFlowRuntime.LibraryPathVariable, previous);
        }
    }

    [Test]
    public void TheResolverIsRegisteredOnceForTheNativeAssembly()
    {
        Assert.DoesNotThrow(LibraryResolver.EnsureRegistered);
        Assert.DoesNotThrow(LibraryResolver.EnsureRegistered);
        Assert.Throws<InvalidOperationException>(() =>
            NativeLibrary.SetDllImportResolver(typeof(TensorFlowRuntime).Assembly, (_, _, _) => 0),
            "a second resolver must be refused because ours is registered");
    }

    [Test]
    public void ConcurrentLoadsDoNotThrow()
    {
        var results = new bool[16];
        Parallel.For(0, results.Length, i => results[i] = TensorFlowRuntime.TryLoad(out _));
        Assert.That(results.Distinct().Count(), Is.EqualTo(1), "every thread sees the same answer");
    }

    [Test]
    public void WithoutTensorFlowTheBridgeRefusesCleanly()
    {
        if (TensorFlowRuntime.IsAvailable)
        {
            Assert.Ignore("A TensorFlow C library is present; this checks the absent path.");
        }

        Assert.Throws<TensorFlowNotAvailableException>(() => new NativeGraph().Dispose());
        Assert.Throws<TensorFlowNotAvailableException>(() => new NativeEager().Dispose());
        Assert.Throws<TensorFlowNotAvailableException>(() => NativeKernels.Register());
    }
}
