namespace TfFakeQuant;

/// <summary>Library marker.</summary>
public static class LibraryInfo
{
    /// <summary>TensorFlow version whose CPU kernels this library reproduces.</summary>
    public const string TensorFlowVersion = "2.21.0";
}
