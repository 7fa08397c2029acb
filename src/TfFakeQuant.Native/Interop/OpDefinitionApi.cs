using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/ops.h: registering new ops and their shape functions.</summary>
internal static unsafe partial class OpDefinitionApi
{
    /// <summary><c>TF_OpDefinitionBuilder* TF_NewOpDefinitionBuilder(const char* op_name)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewOpDefinitionBuilder(byte* opName);

    /// <summary><c>void TF_RegisterOpDefinition(TF_OpDefinitionBuilder* builder, TF_Status* status)</c> (frees the builder)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_RegisterOpDefinition(nint builder, nint status);

    /// <summary><c>void TF_DeleteOpDefinitionBuilder(TF_OpDefinitionBuilder* builder)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteOpDefinitionBuilder(nint builder);

    /// <summary><c>void TF_OpDefinitionBuilderAddAttr(TF_OpDefinitionBuilder* builder, const char* attr_spec)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpDefinitionBuilderAddAttr(nint builder, byte* attrSpec);

    /// <summary><c>void TF_OpDefinitionBuilderAddInput(TF_OpDefinitionBuilder* builder, const char* input_spec)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpDefinitionBuilderAddInput(nint builder, byte* inputSpec);

    /// <summary><c>void TF_OpDefinitionBuilderAddOutput(TF_OpDefinitionBuilder* builder, const char* output_spec)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpDefinitionBuilderAddOutput(nint builder, byte* outputSpec);

    /// <summary>
    /// <c>void TF_OpDefinitionBuilderSetShapeInferenceFunction(TF_OpDefinitionBuilder* builder,
    /// void (*shape_inference_func)(TF_ShapeInferenceContext* ctx, TF_Status* status))</c>
    /// </summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OpDefinitionBuilderSetShapeInferenceFunction(nint builder, delegate* unmanaged<nint, nint, void> shapeInferenceFunc);

    /// <summary><c>TF_ShapeHandle* TF_NewShapeHandle(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewShapeHandle();

    /// <summary><c>void TF_DeleteShapeHandle(TF_ShapeHandle* handle)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteShapeHandle(nint handle);

    /// <summary><c>void TF_ShapeInferenceContextGetInput(TF_ShapeInferenceContext* ctx, int i, TF_ShapeHandle* handle, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_ShapeInferenceContextGetInput(nint context, int i, nint handle, nint status);

    /// <summary><c>void TF_ShapeInferenceContextSetOutput(TF_ShapeInferenceContext* ctx, int i, TF_ShapeHandle* handle, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_ShapeInferenceContextSetOutput(nint context, int i, nint handle, nint status);

    /// <summary><c>void TF_ShapeInferenceContextWithRankAtLeast(TF_ShapeInferenceContext* ctx, TF_ShapeHandle* handle, int64_t rank, TF_ShapeHandle* result, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_ShapeInferenceContextWithRankAtLeast(nint context, nint handle, long rank, nint result, nint status);

    /// <summary><c>void TF_ShapeInferenceContextWithRank(TF_ShapeInferenceContext* ctx, TF_ShapeHandle* handle, int64_t rank, TF_ShapeHandle* result, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_ShapeInferenceContextWithRank(nint context, nint handle, long rank, nint result, nint status);
}
