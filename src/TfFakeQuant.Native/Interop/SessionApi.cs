using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/c_api.h: sessions.</summary>
internal static unsafe partial class SessionApi
{
    /// <summary><c>TF_SessionOptions* TF_NewSessionOptions(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewSessionOptions();

    /// <summary><c>void TF_DeleteSessionOptions(TF_SessionOptions*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteSessionOptions(nint options);

    /// <summary><c>TF_Session* TF_NewSession(TF_Graph* graph, const TF_SessionOptions* opts, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewSession(nint graph, nint options, nint status);

    /// <summary>
    /// <c>void TF_SessionRun(TF_Session* session, const TF_Buffer* run_options, const TF_Output* inputs,
    /// TF_Tensor* const* input_values, int ninputs, const TF_Output* outputs, TF_Tensor** output_values,
    /// int noutputs, const TF_Operation* const* target_opers, int ntargets, TF_Buffer* run_metadata, TF_Status*)</c>
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SessionRun(nint session, TF_Buffer* runOptions, TF_Output* inputs, nint* inputValues, int ninputs,
        TF_Output* outputs, nint* outputValues, int noutputs, nint* targetOpers, int ntargets, TF_Buffer* runMetadata, nint status);

    /// <summary><c>void TF_CloseSession(TF_Session*, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_CloseSession(nint session, nint status);

    /// <summary><c>void TF_DeleteSession(TF_Session*, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteSession(nint session, nint status);
}
