using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/eager/c_api.h.</summary>
internal static unsafe partial class EagerApi
{
    /// <summary><c>TFE_ContextOptions* TFE_NewContextOptions(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TFE_NewContextOptions();

    /// <summary><c>void TFE_DeleteContextOptions(TFE_ContextOptions*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_DeleteContextOptions(nint options);

    /// <summary><c>TFE_Context* TFE_NewContext(const TFE_ContextOptions* opts, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TFE_NewContext(nint options, nint status);

    /// <summary><c>void TFE_DeleteContext(TFE_Context* ctx)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_DeleteContext(nint context);

    /// <summary><c>TFE_Op* TFE_NewOp(TFE_Context* ctx, const char* op_or_function_name, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TFE_NewOp(nint context, byte* opOrFunctionName, nint status);

    /// <summary><c>void TFE_DeleteOp(TFE_Op* op)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_DeleteOp(nint op);

    /// <summary><c>void TFE_OpAddInput(TFE_Op* op, TFE_TensorHandle* input, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_OpAddInput(nint op, nint input, nint status);

    /// <summary><c>void TFE_OpSetAttrInt(TFE_Op* op, const char* attr_name, int64_t value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_OpSetAttrInt(nint op, byte* attrName, long value);

    /// <summary><c>void TFE_OpSetAttrBool(TFE_Op* op, const char* attr_name, unsigned char value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_OpSetAttrBool(nint op, byte* attrName, byte value);

    /// <summary><c>void TFE_OpSetAttrFloat(TFE_Op* op, const char* attr_name, float value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_OpSetAttrFloat(nint op, byte* attrName, float value);

    /// <summary><c>void TFE_Execute(TFE_Op* op, TFE_TensorHandle** retvals, int* num_retvals, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_Execute(nint op, nint* retvals, int* numRetvals, nint status);

    /// <summary><c>TFE_TensorHandle* TFE_NewTensorHandle(const TF_Tensor* t, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TFE_NewTensorHandle(nint tensor, nint status);

    /// <summary><c>TF_Tensor* TFE_TensorHandleResolve(TFE_TensorHandle* h, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TFE_TensorHandleResolve(nint handle, nint status);

    /// <summary><c>void TFE_DeleteTensorHandle(TFE_TensorHandle* h)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TFE_DeleteTensorHandle(nint handle);
}
