namespace TfFakeQuant.Native;

/// <summary>Entry point of the TensorFlow C runtime bridge.</summary>
public static class TensorFlowRuntime
{
    /// <summary>The logical library name TensorFlow.NET loads.</summary>
    public const string LibraryName = "tensorflow";
}
