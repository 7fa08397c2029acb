using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// A real TensorFlow graph (<c>TF_Graph</c>): one this object owns, or a caller's graph given as a
/// raw <c>TF_Graph*</c> (<see cref="FromHandle"/>, for example TensorFlow.NET's <c>graph.Handle</c>).
/// Adds the six FakeQuant ops (and the runtime ops of <see cref="NativeKernels"/>) after checking
/// them with this library's shape functions, so that inputs TensorFlow 2.21 would crash on get a
/// clean <see cref="ShapeInferenceException"/> instead.
/// </summary>
public sealed unsafe class NativeGraph : IDisposable
{
    private readonly GraphHandle _handle;
    private readonly object _gate = new();

    /// <summary>Creates a new, empty graph owned by this object.</summary>
    /// <exception cref="TensorFlowNotAvailableException">No TensorFlow C library was found.</exception>
    public NativeGraph()
    {
        TensorFlowRuntime.EnsureLoaded();
        _handle = new GraphHandle(GraphApi.TF_NewGraph(), ownsHandle: true);
    }

    private NativeGraph(nint graph)
    {
        _handle = new GraphHandle(graph, ownsHandle: false);
    }

    /// <summary>
    /// Raw-handle entry point: wraps a caller's <c>TF_Graph*</c> (TensorFlow.NET: <c>graph.Handle</c>)
    /// without taking ownership; the caller keeps the graph alive and deletes it.
    /// </summary>
    /// <param name="graph">A live <c>TF_Graph*</c>.</param>
    /// <returns>A non-owning wrapper.</returns>
    /// <exception cref="ArgumentException"><paramref name="graph"/> is zero.</exception>
    /// <exception cref="TensorFlowNotAvailableException">No TensorFlow C library was found.</exception>
    public static NativeGraph FromHandle(IntPtr graph)
    {
        if (graph == IntPtr.Zero)
        {
            throw new ArgumentException("The TF_Graph* is null.", nameof(graph));
        }

        TensorFlowRuntime.EnsureLoaded();
        return new NativeGraph(graph);
    }

    /// <summary>Raw-handle entry point: the <c>TF_Graph*</c> (valid while this object, or the caller's graph, lives).</summary>
    public IntPtr Handle => _handle.DangerousGetHandle();

    internal TfSafeHandle.Lease Borrow() => _handle.Borrow();

    /// <summary>Raw-handle entry point: wraps output <paramref name="index"/> of a <c>TF_Operation*</c> of this graph (TensorFlow.NET: <c>tensor._as_tf_output()</c>'s <c>oper</c> and <c>index</c>).</summary>
    /// <param name="operation">A <c>TF_Operation*</c> of this graph.</param>
    /// <param name="index">The output index.</param>
    /// <returns>The output.</returns>
    /// <exception cref="ArgumentException">Null operation or index out of range.</exception>
    public TfOutput Output(IntPtr operation, int index)
    {
        if (operation == IntPtr.Zero)
        {
            throw new ArgumentException("The TF_Operation* is null.", nameof(operation));
        }

        int n = GraphApi.TF_OperationNumOutputs(operation);
        if ((uint)index >= (uint)n)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The operation has {n} outputs.");
        }

        return new TfOutput(this, operation, index);
    }

    /// <summary>Looks up output <paramref name="index"/> of the operation named <paramref name="operationName"/>.</summary>
    /// <param name="operationName">The operation's name.</param>
    /// <param name="index">The output index.</param>
    /// <returns>The output.</returns>
    /// <exception cref="KeyNotFoundException">No such operation.</exception>
    public TfOutput Output(string operationName, int index = 0) =>
        Output(FindOperation(operationName) ?? throw new KeyNotFoundException($"The graph has no operation named '{operationName}'."), index);

    internal nint? FindOperation(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using TfSafeHandle.Lease g = Borrow();
        fixed (byte* n = Utf8.Z(name))
        {
            nint op = GraphApi.TF_GraphOperationByName(g.Pointer, n);
            return op == 0 ? null : op;
        }
    }

    /// <summary>Adds a float32 <c>Placeholder</c>.</summary>
    /// <param name="name">Node name (made unique when taken).</param>
    /// <param name="shape">Static shape; null or <see cref="TensorShape.Unknown"/> for unknown rank.</param>
    /// <returns>The placeholder's output.</returns>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node.</exception>
    public TfOutput Placeholder(string name, TensorShape? shape = null)
    {
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal) { ["dtype"] = DataTypeAttr.Float };
        if (shape is not null)
        {
            attrs["shape"] = shape;
        }

        return AddOperation("Placeholder", name, [], attrs)[0];
    }

    /// <summary>
    /// Adds one of the six FakeQuant ops. Static input shapes are checked first with this
    /// library's shape functions (TensorFlow's texts), so a rank-0 per-channel input or a
    /// per-channel gradient of unknown rank over rank-0 inputs (which crash TensorFlow 2.21) gives
    /// a <see cref="ShapeInferenceException"/>.
    /// </summary>
    /// <param name="opType">TensorFlow op type name, for example <c>FakeQuantWithMinMaxVarsPerChannel</c>.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">Attrs (null: TensorFlow's defaults); Args ops also use min / max.</param>
    /// <param name="name">Node name (default: the op type; made unique when taken).</param>
    /// <param name="kernelLabel">Optional <c>_kernel</c> attr, for example <c>managed</c> for the kernels <see cref="NativeKernels"/> registers.</param>
    /// <returns>The op's outputs in OpDef order.</returns>
    /// <exception cref="ShapeInferenceException">A shape function check failed (TensorFlow's text).</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node (<see cref="TensorFlowException.Stage"/> <c>TF_FinishOperation</c>).</exception>
    /// <exception cref="KeyNotFoundException">Not a FakeQuant op.</exception>
    public IReadOnlyList<TfOutput> AddFakeQuant(string opType, IReadOnlyList<TfOutput> inputs, FakeQuantAttrs? attrs = null, string? name = null,
        string? kernelLabel = null) => AddFakeQuant(FakeQuantCatalog.Get(opType), inputs, attrs, name, kernelLabel);

    /// <summary>Adds one of the six FakeQuant ops (see <see cref="AddFakeQuant(string, IReadOnlyList{TfOutput}, FakeQuantAttrs?, string?, string?)"/>).</summary>
    /// <param name="op">The op.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">Attrs (null: defaults).</param>
    /// <param name="name">Node name.</param>
    /// <param name="kernelLabel">Optional <c>_kernel</c> label.</param>
    /// <returns>The outputs.</returns>
    /// <exception cref="ShapeInferenceException">A shape function check failed.</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node.</exception>
    public IReadOnlyList<TfOutput> AddFakeQuant(FakeQuantOpDef op, IReadOnlyList<TfOutput> inputs, FakeQuantAttrs? attrs = null, string? name = null,
        string? kernelLabel = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        attrs ??= FakeQuantAttrs.Default;
        CheckInputs(op.Name, op.InputNames.Count, inputs);
        if (ValidateWithCatalogue)
        {
            TensorShape[] shapes = inputs.Select(GetStaticShape).ToArray();
            ShapeInference.InferOutputShapes(op, shapes);
        }

        Dictionary<string, object> attrMap = attrs.ToDictionary(op);
        if (kernelLabel is not null)
        {
            attrMap["_kernel"] = kernelLabel;
        }

        return AddOperation(op.Name, name ?? op.Name, inputs, attrMap);
    }

    /// <summary>
    /// Raw-handle entry point for TensorFlow.NET code: adds a FakeQuant op to the caller's
    /// <c>TF_Graph*</c> with inputs given as (<c>TF_Operation*</c>, index) pairs
    /// (<c>graph.Handle</c>; <c>t._as_tf_output()</c>'s <c>oper</c> / <c>index</c>) and returns the new
    /// <c>TF_Operation*</c> (TensorFlow.NET: <c>new Operation(ptr)</c>; its outputs are indices 0..n-1).
    /// </summary>
    /// <param name="graph">The caller's <c>TF_Graph*</c>.</param>
    /// <param name="opType">Op type name.</param>
    /// <param name="inputs">(<c>TF_Operation*</c>, output index) per input, in OpDef order.</param>
    /// <param name="attrs">Attrs (null: defaults).</param>
    /// <param name="name">Node name.</param>
    /// <param name="kernelLabel">Optional <c>_kernel</c> label.</param>
    /// <returns>The new <c>TF_Operation*</c>.</returns>
    /// <exception cref="ShapeInferenceException">A shape function check failed.</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node.</exception>
    public static IntPtr AddFakeQuant(IntPtr graph, string opType, IReadOnlyList<(IntPtr Operation, int Index)> inputs, FakeQuantAttrs? attrs = null,
        string? name = null, string? kernelLabel = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using NativeGraph g = FromHandle(graph);
        TfOutput[] ins = inputs.Select(i => g.Output(i.Operation, i.Index)).ToArray();
        return g.AddFakeQuant(opType, ins, attrs, name, kernelLabel)[0].OperationHandle;
    }

    /// <summary>Whether graph building checks shapes with this library's shape functions first. Internal: tests turn it off only for inputs TensorFlow handles without crashing, to read TensorFlow's own texts.</summary>
    internal bool ValidateWithCatalogue { get; set; } = true;

    /// <summary>The static shape TensorFlow inferred for <paramref name="output"/>.</summary>
    /// <param name="output">An output of this graph.</param>
    /// <returns>The shape (unknown rank, or -1 for unknown dims, where not known).</returns>
    /// <exception cref="TensorFlowException">TensorFlow failed to report it.</exception>
    public TensorShape GetStaticShape(TfOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using TfSafeHandle.Lease g = Borrow();
        using var status = new TfStatus();
        int rank = GraphApi.TF_GraphGetTensorNumDims(g.Pointer, output.Raw, status.Pointer);
        status.ThrowIfError("TF_GraphGetTensorNumDims");
        if (rank < 0)
        {
            return TensorShape.Unknown;
        }

        var dims = new long[rank];
        fixed (long* d = dims)
        {
            GraphApi.TF_GraphGetTensorShape(g.Pointer, output.Raw, d, rank, status.Pointer);
        }

        status.ThrowIfError("TF_GraphGetTensorShape");
        return TensorShape.Of(dims);
    }

    /// <summary>Imports a serialized <c>GraphDef</c> (for example one this library's graph builder wrote) into this graph.</summary>
    /// <param name="graphDef">The GraphDef bytes.</param>
    /// <param name="prefix">Optional name prefix for the imported nodes.</param>
    /// <exception cref="TensorFlowException">TensorFlow rejected the GraphDef.</exception>
    public void ImportGraphDef(ReadOnlySpan<byte> graphDef, string? prefix = null)
    {
        using TfSafeHandle.Lease g = Borrow();
        using BufferHandle buffer = BufferHandle.FromBytes(graphDef);
        using var options = new ImportOptionsHandle();
        using var status = new TfStatus();
        if (!string.IsNullOrEmpty(prefix))
        {
            fixed (byte* p = Utf8.Z(prefix))
            {
                GraphApi.TF_ImportGraphDefOptionsSetPrefix(options.DangerousGetHandle(), p);
            }
        }

        lock (_gate)
        {
            GraphApi.TF_GraphImportGraphDef(g.Pointer, buffer.Buffer, options.DangerousGetHandle(), status.Pointer);
        }

        status.ThrowIfError("TF_GraphImportGraphDef");
        GC.KeepAlive(options);
    }

    /// <summary>Serializes this graph as a <c>GraphDef</c>.</summary>
    /// <returns>The bytes.</returns>
    /// <exception cref="TensorFlowException">TensorFlow failed.</exception>
    public byte[] ToGraphDef()
    {
        using TfSafeHandle.Lease g = Borrow();
        using BufferHandle buffer = BufferHandle.Empty();
        using var status = new TfStatus();
        GraphApi.TF_GraphToGraphDef(g.Pointer, buffer.Buffer, status.Pointer);
        status.ThrowIfError("TF_GraphToGraphDef");
        return buffer.ToArray();
    }

    /// <summary>Operation names, in the graph's order.</summary>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> OperationNames()
    {
        using TfSafeHandle.Lease g = Borrow();
        var names = new List<string>();
        nuint pos = 0;
        nint op;
        while ((op = GraphApi.TF_GraphNextOperation(g.Pointer, &pos)) != 0)
        {
            names.Add(Utf8.Read(GraphApi.TF_OperationName(op)) ?? string.Empty);
        }

        return names;
    }

    /// <summary>A node name not yet used in the graph: <paramref name="baseName"/>, else <c>baseName_1</c>, <c>_2</c>, ...</summary>
    internal string UniqueName(string baseName)
    {
        if (FindOperation(baseName) is null)
        {
            return baseName;
        }

        for (int i = 1; ; i++)
        {
            string candidate = $"{baseName}_{i}";
            if (FindOperation(candidate) is null)
            {
                return candidate;
            }
        }
    }

    /// <summary>
    /// Adds any op: inputs in order, attrs by name (<see cref="long"/>/<see cref="int"/> → int,
    /// <see cref="bool"/>, <see cref="float"/>, <see cref="string"/>, <see cref="DataTypeAttr"/> → type,
    /// <see cref="TensorShape"/> → shape, <see cref="TfOutput"/>[] → an input list).
    /// </summary>
    internal IReadOnlyList<TfOutput> AddOperation(string opType, string name, IReadOnlyList<TfOutput> inputs, IReadOnlyDictionary<string, object> attrs,
        IReadOnlyList<TfOutput>? inputList = null)
    {
        using TfSafeHandle.Lease g = Borrow();
        using var status = new TfStatus();

        // Checked before TF_NewOperation: a description that is never finished would leak.
        foreach ((string key, object value) in attrs)
        {
            CheckAttrValue(key, value);
        }

        nint op;
        lock (_gate)
        {
            string unique = UniqueName(name);
            nint desc;
            fixed (byte* t = Utf8.Z(opType))
            fixed (byte* n = Utf8.Z(unique))
            {
                desc = OperationApi.TF_NewOperation(g.Pointer, t, n);
            }

            foreach (TfOutput input in inputs)
            {
                OperationApi.TF_AddInput(desc, input.Raw);
            }

            if (inputList is not null)
            {
                TF_Output[] list = inputList.Select(o => o.Raw).ToArray();
                fixed (TF_Output* l = list)
                {
                    OperationApi.TF_AddInputList(desc, l, list.Length);
                }
            }

            foreach ((string key, object value) in attrs)
            {
                SetAttr(desc, key, value);
            }

            // TF_FinishOperation consumes the description whether it succeeds or not.
            op = OperationApi.TF_FinishOperation(desc, status.Pointer);
        }

        status.ThrowIfError("TF_FinishOperation");
        int n2 = GraphApi.TF_OperationNumOutputs(op);
        var outputs = new TfOutput[n2];
        for (int i = 0; i < n2; i++)
        {
            outputs[i] = new TfOutput(this, op, i);
        }

        return outputs;
    }

    private static void SetAttr(nint desc, string key, object value)
    {
        fixed (byte* k = Utf8.Z(key))
        {
            switch (value)
            {
                case long l:
                    OperationApi.TF_SetAttrInt(desc, k, l);
                    break;
                case int i:
                    OperationApi.TF_SetAttrInt(desc, k, i);
                    break;
                case bool b:
                    OperationApi.TF_SetAttrBool(desc, k, b ? (byte)1 : (byte)0);
                    break;
                case float f:
                    OperationApi.TF_SetAttrFloat(desc, k, f);
                    break;
                case DataTypeAttr dt:
                    OperationApi.TF_SetAttrType(desc, k, (int)dt.Value);
                    break;
                case string s:
                {
                    byte[] bytes = System.Text.Encoding.UTF8.GetBytes(s);
                    fixed (byte* v = bytes)
                    {
                        OperationApi.TF_SetAttrString(desc, k, v, (nuint)bytes.Length);
                    }

                    break;
                }

                case TensorShape shape:
                {
                    long[] dims = shape.IsRankKnown ? shape.Dims.ToArray() : [];
                    fixed (long* d = dims)
                    {
                        OperationApi.TF_SetAttrShape(desc, k, d, shape.IsRankKnown ? dims.Length : -1);
                    }

                    break;
                }

                default:
                    CheckAttrValue(key, value);
                    break;
            }
        }
    }

    /// <summary>Throws for an attribute value <see cref="SetAttr"/> cannot set.</summary>
    private static void CheckAttrValue(string key, object? value)
    {
        if (value is not (long or int or bool or float or DataTypeAttr or string or TensorShape))
        {
            throw new ArgumentException($"Attr '{key}': values of type {value?.GetType().Name ?? "null"} are not supported.", nameof(value));
        }
    }

    private static void CheckInputs(string opType, int expected, IReadOnlyList<TfOutput> inputs)
    {
        if (inputs.Count != expected)
        {
            throw new ArgumentException($"{opType} takes {expected} inputs, got {inputs.Count}.", nameof(inputs));
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
            {
                throw new ArgumentNullException(nameof(inputs), $"Input {i} of {opType} is null.");
            }
        }
    }

    /// <summary>Deletes the graph when this object owns it; a caller's graph is left alone.</summary>
    public void Dispose() => _handle.Dispose();
}

/// <summary>A <c>type</c> attr value (TF_DataType) for <see cref="NativeGraph"/>'s generic op builder.</summary>
internal sealed record DataTypeAttr(TF_DataType Value)
{
    public static DataTypeAttr Float { get; } = new(TF_DataType.TF_FLOAT);

    public static DataTypeAttr Int64 { get; } = new(TF_DataType.TF_INT64);
}
