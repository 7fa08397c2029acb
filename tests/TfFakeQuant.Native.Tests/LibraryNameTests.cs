using TfFakeQuant.Native;

namespace TfFakeQuant.Native.Tests;

public class LibraryNameTests
{
    [Test]
    public void LoadsTheLibraryTensorFlowNetLoads() => Assert.That(TensorFlowRuntime.LibraryName, Is.EqualTo("tensorflow"));
}
