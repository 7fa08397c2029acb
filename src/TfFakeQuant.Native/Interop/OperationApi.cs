using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/c_api.h: building one operation (TF_OperationDescription).</summary>
internal static unsafe partial class OperationApi
{
    /// <summary><c>TF_OperationDescription* TF_NewOperation(TF_Graph* graph, const char* op_type, const char* oper_name)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewOperation(nint graph, byte* opType, byte* operName);

    /// <summary><c>void TF_AddInput(TF_OperationDescription* desc, TF_Output input)</c> (struct by value)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_AddInput(nint desc, TF_Output input);

    /// <summary><c>void TF_AddInputList(TF_OperationDescription* desc, const TF_Output* inputs, int num_inputs)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_AddInputList(nint desc, TF_Output* inputs, int numInputs);

    /// <summary><c>void TF_SetAttrInt(TF_OperationDescription* desc, const char* attr_name, int64_t value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrInt(nint desc, byte* attrName, long value);

    /// <summary><c>void TF_SetAttrBool(TF_OperationDescription* desc, const char* attr_name, unsigned char value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrBool(nint desc, byte* attrName, byte value);

    /// <summary><c>void TF_SetAttrFloat(TF_OperationDescription* desc, const char* attr_name, float value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrFloat(nint desc, byte* attrName, float value);

    /// <summary><c>void TF_SetAttrType(TF_OperationDescription* desc, const char* attr_name, TF_DataType value)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrType(nint desc, byte* attrName, int value);

    /// <summary><c>void TF_SetAttrShape(TF_OperationDescription* desc, const char* attr_name, const int64_t* dims, int num_dims)</c> (num_dims -1: unknown rank)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrShape(nint desc, byte* attrName, long* dims, int numDims);

    /// <summary><c>void TF_SetAttrString(TF_OperationDescription* desc, const char* attr_name, const void* value, size_t length)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_SetAttrString(nint desc, byte* attrName, void* value, nuint length);

    /// <summary><c>TF_Operation* TF_FinishOperation(TF_OperationDescription* desc, TF_Status* status)</c> (always consumes desc)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_FinishOperation(nint desc, nint status);
}
