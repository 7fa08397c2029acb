using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace TfFakeQuant.Native.Tests;

/// <summary>
/// The resolver's accepting path, without TensorFlow: a stand-in shared library (compiled here with
/// the system C compiler; skipped when there is none) that exports every required symbol is
/// accepted, and one that lacks a single symbol is rejected with that symbol's name.
/// </summary>
[TestFixture]
[Category("Native")]
public class FakeLibraryTests
{
    private readonly List<string> _dirs = [];

    [OneTimeTearDown]
    public void RemoveStandIns()
    {
        foreach (string d in _dirs)
        {
            try
            {
                Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string Compile(string name, IEnumerable<string> symbols)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("The stand-in library is built with gcc on Linux only.");
        }

        string dir = Path.Combine(Path.GetTempPath(), $"tffq-fake-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        var c = new StringBuilder();
        foreach (string s in symbols)
        {
            c.Append(s == "TF_Version" ? "const char* TF_Version(void) { return \"0.0-standin\"; }\n" : $"void {s}(void) {{}}\n");
        }

        string source = Path.Combine(dir, "fake.c"), library = Path.Combine(dir, name);
        File.WriteAllText(source, c.ToString());
        try
        {
            using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-o", library, source])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            string err = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                Assert.Ignore($"gcc could not build the stand-in library: {err}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Ignore($"No C compiler to build the stand-in library: {e.Message}");
        }

        return library;
    }

    [Test]
    public unsafe void ALibraryWithEveryRequiredSymbolIsAccepted()
    {
        string library = Compile("libtensorflow.so", LibraryResolver.RequiredSymbols);
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(library, [], []);
        try
        {
            Assert.That(r.Handle, Is.Not.EqualTo((nint)0), r.Diagnostics);
            Assert.That(r.Path, Is.EqualTo(library));
            Assert.That(r.Diagnostics, Does.Contain($"loaded from {library}"));
            var version = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(r.Handle, "TF_Version");
            Assert.That(Marshal.PtrToStringUTF8((nint)version()), Is.EqualTo("0.0-standin"));
            // The kernel C API is probed separately: all of it is missing here, by name.
            Assert.That(LibraryResolver.MissingSymbols(r.Handle, LibraryResolver.KernelSymbols), Is.EquivalentTo(LibraryResolver.KernelSymbols));
        }
        finally
        {
            if (r.Handle != 0)
            {
                NativeLibrary.Free(r.Handle);
            }
        }
    }

    [Test]
    public void ALibraryLackingOneSymbolIsRejectedByName()
    {
        string library = Compile("libtensorflow.so", LibraryResolver.RequiredSymbols.Where(s => s != "TF_SessionRun"));
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(null, [library], []);
        Assert.That(r.Handle, Is.EqualTo((nint)0));
        Assert.That(r.Diagnostics, Does.Contain($"1 of {LibraryResolver.RequiredSymbols.Length} required symbols are missing (TF_SessionRun)"));
        Assert.That(r.Diagnostics, Does.Contain("[default search]"));
    }

    [Test]
    public void TheFirstUsableCandidateWinsInOrder()
    {
        string bad = Compile("libtensorflow.so", ["TF_Version"]);
        string good = Compile("libtensorflow_cc.so.2", LibraryResolver.RequiredSymbols);
        LibraryResolver.ProbeResult r = LibraryResolver.Probe(bad, [], [good]);
        try
        {
            Assert.That(r.Path, Is.EqualTo(good), "the explicit file lacks symbols, so the versioned name after it is used");
            Assert.That(r.Diagnostics, Does.Contain("[versioned name]"));
        }
        finally
        {
            if (r.Handle != 0)
            {
                NativeLibrary.Free(r.Handle);
            }
        }
    }
}
