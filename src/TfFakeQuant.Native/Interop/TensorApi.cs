using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/tf_tensor.h.</summary>
internal static unsafe partial class TensorApi
{
    /// <summary><c>TF_Tensor* TF_AllocateTensor(TF_DataType, const int64_t* dims, int num_dims, size_t len)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_AllocateTensor(int dtype, long* dims, int numDims, nuint len);

    /// <summary>
    /// <c>TF_Tensor* TF_NewTensor(TF_DataType, const int64_t* dims, int num_dims, void* data, size_t len,
    /// void (*deallocator)(void* data, size_t len, void* arg), void* deallocator_arg)</c>
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewTensor(int dtype, long* dims, int numDims, void* data, nuint len,
        delegate* unmanaged<void*, nuint, void*, void> deallocator, void* deallocatorArg);

    /// <summary><c>void TF_DeleteTensor(TF_Tensor*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteTensor(nint tensor);

    /// <summary><c>TF_DataType TF_TensorType(const TF_Tensor*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_TensorType(nint tensor);

    /// <summary><c>int TF_NumDims(const TF_Tensor*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_NumDims(nint tensor);

    /// <summary><c>int64_t TF_Dim(const TF_Tensor* tensor, int dim_index)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial long TF_Dim(nint tensor, int dimIndex);

    /// <summary><c>size_t TF_TensorByteSize(const TF_Tensor*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nuint TF_TensorByteSize(nint tensor);

    /// <summary><c>void* TF_TensorData(const TF_Tensor*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void* TF_TensorData(nint tensor);
}
