using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>
/// tensorflow/c/kernels.h: kernels made of C callbacks. In the tensorflow wheel these symbols
/// live in libtensorflow_framework.so.2; a lookup through the main library's handle finds them.
/// </summary>
internal static unsafe partial class KernelApi
{
    /// <summary>
    /// <c>TF_KernelBuilder* TF_NewKernelBuilder(const char* op_name, const char* device_name,
    /// void* (*create_func)(TF_OpKernelConstruction*), void (*compute_func)(void*, TF_OpKernelContext*),
    /// void (*delete_func)(void*))</c>
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewKernelBuilder(byte* opName, byte* deviceName,
        delegate* unmanaged<nint, void*> createFunc,
        delegate* unmanaged<void*, nint, void> computeFunc,
        delegate* unmanaged<void*, void> deleteFunc);

    /// <summary><c>void TF_KernelBuilder_Label(TF_KernelBuilder* kernel_builder, const char* label)</c> (newer releases only)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_KernelBuilder_Label(nint kernelBuilder, byte* label);

    /// <summary><c>void TF_RegisterKernelBuilder(const char* kernel_name, TF_KernelBuilder* builder, TF_Status* status)</c> (takes ownership)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_RegisterKernelBuilder(byte* kernelName, nint builder, nint status);

    /// <summary><c>void TF_DeleteKernelBuilder(TF_KernelBuilder* builder)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteKernelBuilder(nint builder);

    /// <summary><c>int TF_NumInputs(TF_OpKernelContext* ctx)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_NumInputs(nint context);

    /// <summary><c>void TF_GetInput(TF_OpKernelContext* ctx, int i, TF_Tensor** tensor, TF_Status* status)</c> (caller owns *tensor)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_GetInput(nint context, int i, nint* tensor, nint status);

    /// <summary>
    /// <c>TF_Tensor* TF_AllocateOutput(TF_OpKernelContext* context, int index, TF_DataType dtype,
    /// const int64_t* dims, int num_dims, size_t len, TF_Status* status)</c> (caller owns the result)
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_AllocateOutput(nint context, int index, int dtype, long* dims, int numDims, nuint len, nint status);

    /// <summary><c>void TF_OpKernelContext_Failure(TF_OpKernelContext* ctx, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelContext_Failure(nint context, nint status);

    /// <summary><c>void TF_OpKernelConstruction_Failure(TF_OpKernelConstruction* ctx, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelConstruction_Failure(nint construction, nint status);

    /// <summary><c>void TF_OpKernelConstruction_GetAttrInt32(TF_OpKernelConstruction* ctx, const char* attr_name, int32_t* val, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelConstruction_GetAttrInt32(nint construction, byte* attrName, int* value, nint status);

    /// <summary><c>void TF_OpKernelConstruction_GetAttrInt64(TF_OpKernelConstruction* ctx, const char* attr_name, int64_t* val, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelConstruction_GetAttrInt64(nint construction, byte* attrName, long* value, nint status);

    /// <summary><c>void TF_OpKernelConstruction_GetAttrBool(TF_OpKernelConstruction* ctx, const char* attr_name, TF_Bool* val, TF_Status* status)</c> (TF_Bool: unsigned char)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelConstruction_GetAttrBool(nint construction, byte* attrName, byte* value, nint status);

    /// <summary><c>void TF_OpKernelConstruction_GetAttrFloat(TF_OpKernelConstruction* ctx, const char* attr_name, float* val, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpKernelConstruction_GetAttrFloat(nint construction, byte* attrName, float* value, nint status);

    /// <summary><c>TF_StringView TF_OpKernelConstruction_GetName(TF_OpKernelConstruction* ctx)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial TF_StringView TF_OpKernelConstruction_GetName(nint construction);
}
