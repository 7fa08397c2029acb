using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/tf_status.h. <c>TF_Code</c> is an enum (int); strings are <c>const char*</c> UTF-8.</summary>
internal static unsafe partial class StatusApi
{
    /// <summary><c>TF_Status* TF_NewStatus(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewStatus();

    /// <summary><c>void TF_DeleteStatus(TF_Status*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteStatus(nint status);

    /// <summary><c>TF_Code TF_GetCode(const TF_Status* s)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_GetCode(nint status);

    /// <summary><c>const char* TF_Message(const TF_Status* s)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial byte* TF_Message(nint status);

    /// <summary><c>void TF_SetStatus(TF_Status* s, TF_Code code, const char* msg)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetStatus(nint status, int code, byte* msg);
}

/// <summary>tensorflow/c/c_api.h: the library's version.</summary>
internal static unsafe partial class VersionApi
{
    /// <summary><c>const char* TF_Version(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial byte* TF_Version();
}
