using System.Runtime.InteropServices;

namespace TfFakeQuant.Native.Interop;

/// <summary>tensorflow/c/c_api.h: graphs, GraphDef import/export, static shapes, operation inspection.</summary>
internal static unsafe partial class GraphApi
{
    /// <summary><c>TF_Graph* TF_NewGraph(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewGraph();

    /// <summary><c>void TF_DeleteGraph(TF_Graph*)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteGraph(nint graph);

    /// <summary><c>TF_Operation* TF_GraphOperationByName(TF_Graph* graph, const char* oper_name)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_GraphOperationByName(nint graph, byte* operName);

    /// <summary><c>TF_Operation* TF_GraphNextOperation(TF_Graph* graph, size_t* pos)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_GraphNextOperation(nint graph, nuint* pos);

    /// <summary><c>int TF_GraphGetTensorNumDims(TF_Graph* graph, TF_Output output, TF_Status* status)</c> (-1: unknown rank)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_GraphGetTensorNumDims(nint graph, TF_Output output, nint status);

    /// <summary><c>void TF_GraphGetTensorShape(TF_Graph* graph, TF_Output output, int64_t* dims, int num_dims, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_GraphGetTensorShape(nint graph, TF_Output output, long* dims, int numDims, nint status);

    /// <summary><c>TF_ImportGraphDefOptions* TF_NewImportGraphDefOptions(void)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial nint TF_NewImportGraphDefOptions();

    /// <summary><c>void TF_DeleteImportGraphDefOptions(TF_ImportGraphDefOptions* opts)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_DeleteImportGraphDefOptions(nint options);

    /// <summary><c>void TF_ImportGraphDefOptionsSetPrefix(TF_ImportGraphDefOptions* opts, const char* prefix)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_ImportGraphDefOptionsSetPrefix(nint options, byte* prefix);

    /// <summary><c>void TF_GraphImportGraphDef(TF_Graph* graph, const TF_Buffer* graph_def, const TF_ImportGraphDefOptions* options, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_GraphImportGraphDef(nint graph, TF_Buffer* graphDef, nint options, nint status);

    /// <summary><c>void TF_GraphToGraphDef(TF_Graph* graph, TF_Buffer* output_graph_def, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_GraphToGraphDef(nint graph, TF_Buffer* outputGraphDef, nint status);

    /// <summary><c>void TF_GraphGetOpDef(TF_Graph* graph, const char* op_name, TF_Buffer* output_op_def, TF_Status* status)</c> (NOT_FOUND: no such op)</summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_GraphGetOpDef(nint graph, byte* opName, TF_Buffer* outputOpDef, nint status);

    /// <summary><c>const char* TF_OperationName(TF_Operation* oper)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial byte* TF_OperationName(nint oper);

    /// <summary><c>const char* TF_OperationOpType(TF_Operation* oper)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial byte* TF_OperationOpType(nint oper);

    /// <summary><c>int TF_OperationNumOutputs(TF_Operation* oper)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_OperationNumOutputs(nint oper);

    /// <summary><c>int TF_OperationNumInputs(TF_Operation* oper)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_OperationNumInputs(nint oper);

    /// <summary><c>int TF_OperationNumControlInputs(TF_Operation* oper)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_OperationNumControlInputs(nint oper);

    /// <summary><c>int TF_OperationGetControlInputs(TF_Operation* oper, TF_Operation** control_inputs, int max_control_inputs)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_OperationGetControlInputs(nint oper, nint* controlInputs, int maxControlInputs);

    /// <summary><c>TF_Output TF_OperationInput(TF_Input oper_in)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial TF_Output TF_OperationInput(TF_Input operIn);

    /// <summary><c>TF_DataType TF_OperationOutputType(TF_Output oper_out)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial int TF_OperationOutputType(TF_Output operOut);

    /// <summary><c>void TF_OperationGetAttrInt(TF_Operation* oper, const char* attr_name, int64_t* value, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OperationGetAttrInt(nint oper, byte* attrName, long* value, nint status);

    /// <summary><c>void TF_OperationGetAttrFloat(TF_Operation* oper, const char* attr_name, float* value, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OperationGetAttrFloat(nint oper, byte* attrName, float* value, nint status);

    /// <summary><c>void TF_OperationGetAttrBool(TF_Operation* oper, const char* attr_name, unsigned char* value, TF_Status* status)</c></summary>
    [LibraryImport(TensorFlowRuntime.LibraryName)]
    internal static partial void TF_OperationGetAttrBool(nint oper, byte* attrName, byte* value, nint status);
}
