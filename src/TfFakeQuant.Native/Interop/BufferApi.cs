using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/tf_buffer.h (declared through c_api.h in older releases).</summary>
internal static unsafe partial class BufferApi
{
    /// <summary><c>TF_Buffer* TF_NewBufferFromString(const void* proto, size_t proto_len)</c> — copies the bytes.</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial TF_Buffer* TF_NewBufferFromString(void* proto, nuint protoLen);

    /// <summary><c>TF_Buffer* TF_NewBuffer(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial TF_Buffer* TF_NewBuffer();

    /// <summary><c>void TF_DeleteBuffer(TF_Buffer*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteBuffer(TF_Buffer* buffer);
}
