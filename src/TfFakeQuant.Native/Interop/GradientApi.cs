using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/c_api.h: symbolic gradients and the op registry.</summary>
internal static unsafe partial class GradientApi
{
    /// <summary>
    /// <c>void TF_AddGradientsWithPrefix(TF_Graph* g, const char* prefix, TF_Output* y, int ny, TF_Output* x, int nx,
    /// TF_Output* dx, TF_Status* status, TF_Output* dy)</c> — <c>dx</c> may be null (OnesLike); <c>dy</c> has <c>nx</c> entries.
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_AddGradientsWithPrefix(nint graph, byte* prefix, TF_Output* y, int ny, TF_Output* x, int nx,
        TF_Output* dx, nint status, TF_Output* dy);
}
