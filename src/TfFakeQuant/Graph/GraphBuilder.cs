using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Google.Protobuf;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Graph;

/// <summary>
/// Builds a TensorFlow graph (a <see cref="GraphDef"/>) the way TensorFlow 2.21's Python graph
/// builder does: node names made unique as <c>tf.Graph.unique_name</c> makes them
/// (<c>fq</c>, <c>fq_1</c>, <c>scope/fq</c>), name scopes, colocation (<c>_class</c> attrs),
/// every attr with its default written, static shape inference when a node is added
/// (<see cref="ShapeInference"/> for the FakeQuant ops), and NodeDefs whose deterministic
/// serialization equals TensorFlow's byte for byte.
/// </summary>
/// <remarks>
/// Supported ops: <c>Placeholder</c> (float), <c>Const</c> (float), <c>Identity</c>, <c>Shape</c>,
/// <c>Fill</c>, <c>AddN</c> and the six FakeQuant ops (see <see cref="FakeQuantGraphOps"/> for the
/// op-level functions with TensorFlow's signatures). Not thread-safe, like <c>tf.Graph</c>
/// construction.
/// </remarks>
public sealed partial class GraphBuilder
{
    private readonly List<GraphNode> _nodes = [];
    private readonly Dictionary<string, GraphNode> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _namesInUse = new(StringComparer.Ordinal);
    private readonly List<GraphNode> _colocation = [];
    private string _nameStack = "";

    /// <summary>The nodes in creation order (the order of the GraphDef).</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>The current name scope without the trailing slash ("" at the root).</summary>
    public string CurrentNameScope => _nameStack;

    /// <summary>Looks a node up by name.</summary>
    /// <param name="name">The node name.</param>
    /// <returns>The node.</returns>
    /// <exception cref="KeyNotFoundException">No such node.</exception>
    public GraphNode GetNode(string name) =>
        _byName.TryGetValue(name, out GraphNode? n) ? n : throw new KeyNotFoundException($"The graph has no node named '{name}'.");

    /// <summary>Looks a tensor up by TensorFlow's name <c>node:index</c> (or <c>node</c> for output 0).</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">No such node or output.</exception>
    public GraphTensor GetTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        (string node, int index) = TensorNames.Parse(name);
        GraphNode n = GetNode(node);
        return index < n.Outputs.Count ? n.Outputs[index] : throw new KeyNotFoundException($"Node '{node}' has {n.Outputs.Count} outputs; '{name}' does not exist.");
    }

    /// <summary>
    /// TensorFlow's <c>Graph.unique_name</c>: prefixes the current name scope and, when the name
    /// is taken (case-insensitively), appends <c>_1</c>, <c>_2</c>, ... until it is free.
    /// </summary>
    /// <param name="name">The wanted name.</param>
    /// <param name="markAsUsed">Reserve the returned name.</param>
    /// <returns>The unique name.</returns>
    public string UniqueName(string name, bool markAsUsed = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_nameStack.Length > 0)
        {
            name = _nameStack + "/" + name;
        }

        string key = name.ToLowerInvariant();
        _namesInUse.TryGetValue(key, out int i);
        if (markAsUsed)
        {
            _namesInUse[key] = i + 1;
        }

        if (i > 0)
        {
            string baseKey = key;
            while (_namesInUse.ContainsKey(key))
            {
                key = $"{baseKey}_{i}";
                i++;
            }

            if (markAsUsed)
            {
                _namesInUse[key] = 1;
            }

            name = $"{name}_{i - 1}";
        }

        return name;
    }

    /// <summary>
    /// Opens a name scope as <c>tf.name_scope</c> in a graph: a relative name is made unique
    /// (<c>scope</c>, then <c>scope_1</c>); a name ending in <c>/</c> re-enters that scope as is;
    /// null or "" returns to the root. Dispose the result to leave the scope.
    /// </summary>
    /// <param name="name">The scope name.</param>
    /// <returns>A handle whose <see cref="NameScope.Name"/> is the scope with a trailing slash.</returns>
    /// <exception cref="ArgumentException">The name is not a valid TensorFlow scope name.</exception>
    public NameScope OpenNameScope(string? name)
    {
        string previous = _nameStack;
        string stack;
        if (string.IsNullOrEmpty(name))
        {
            stack = "";
        }
        else if (name.EndsWith('/'))
        {
            ValidateScopeName(name);
            stack = name[..^1];
        }
        else
        {
            ValidateScopeName(name);
            stack = UniqueName(name);
        }

        _nameStack = stack;
        return new NameScope(this, previous, stack.Length == 0 ? "" : stack + "/");
    }

    /// <summary>
    /// Adds nodes colocated with <paramref name="op"/> until disposed (TensorFlow's
    /// <c>ops.colocate_with</c>): each new node gets a <c>_class</c> attr listing the sorted
    /// colocation groups (<c>loc:@NAME</c>) of every op on the colocation stack.
    /// </summary>
    /// <param name="op">The node to colocate with.</param>
    /// <param name="ignoreExisting">Replace the current colocation stack instead of adding to it.</param>
    /// <returns>A handle that restores the previous colocation stack.</returns>
    public IDisposable ColocateWith(GraphNode op, bool ignoreExisting = false)
    {
        ArgumentNullException.ThrowIfNull(op);
        GraphNode[] saved = [.. _colocation];
        if (ignoreExisting)
        {
            _colocation.Clear();
        }

        _colocation.Add(op);
        return new Restore(() =>
        {
            _colocation.Clear();
            _colocation.AddRange(saved);
        });
    }

    /// <summary>
    /// Adds a float <c>Placeholder</c> (TensorFlow's <c>tf.compat.v1.placeholder(tf.float32, shape, name)</c>).
    /// </summary>
    /// <param name="shape">Static shape; null: unknown rank. Dims may be <see cref="TensorShape.UnknownDim"/>.</param>
    /// <param name="name">Node name (default <c>Placeholder</c>), made unique in the current scope.</param>
    /// <returns>The placeholder's output.</returns>
    public GraphTensor Placeholder(TensorShape? shape = null, string? name = null) =>
        AddOperation("Placeholder", [], new Dictionary<string, object>
        {
            ["dtype"] = DataType.DtFloat,
            ["shape"] = shape ?? TensorShape.Unknown,
        }, name)[0];

    /// <summary>
    /// Adds a float <c>Const</c> holding <paramref name="value"/> (as <c>tf.constant</c> writes it:
    /// one <c>float_val</c> when every element is the same, else <c>tensor_content</c>).
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="name">Node name (default <c>Const</c>).</param>
    /// <returns>The constant's output.</returns>
    public GraphTensor Constant(FloatTensor value, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        return AddOperation("Const", [], new Dictionary<string, object>
        {
            ["dtype"] = DataType.DtFloat,
            ["value"] = new AttrValue { Tensor = ToTensorProto(value) },
        }, name)[0];
    }

    /// <summary>Adds a rank-0 float <c>Const</c>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">Node name (default <c>Const</c>).</param>
    /// <returns>The constant's output.</returns>
    public GraphTensor Constant(float value, string? name = null) => Constant(FloatTensor.Scalar(value), name);

    /// <summary>
    /// Adds a node of <paramref name="opType"/>: checks the inputs, fills in the attrs TensorFlow
    /// writes (defaults included), runs the op's shape function and then adds the node.
    /// </summary>
    /// <param name="opType">A supported op type (see the class remarks).</param>
    /// <param name="inputs">Inputs in OpDef order (tensors of this graph).</param>
    /// <param name="attrs">Attr values by name (<see cref="long"/>, <see cref="float"/>, <see cref="bool"/>, <see cref="DataType"/>, <see cref="TensorShape"/>, <see cref="AttrValue"/>); missing FakeQuant attrs take TensorFlow's defaults.</param>
    /// <param name="name">Node name (default: the op type), made unique in the current scope; a name ending in <c>/</c> is used as is (without the slash).</param>
    /// <returns>The node's outputs.</returns>
    /// <exception cref="ShapeInferenceException">The shape function failed (TensorFlow's text; <see cref="ShapeInferenceException.RawMessage"/> has TensorFlow's full text). No node is added.</exception>
    /// <exception cref="NotSupportedException">An op type this builder does not know.</exception>
    /// <exception cref="ArgumentException">Wrong input count, an input of another graph or of the wrong type, a bad attr, an invalid name.</exception>
    public IReadOnlyList<GraphTensor> AddOperation(string opType, IReadOnlyList<GraphTensor> inputs, IReadOnlyDictionary<string, object>? attrs = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        attrs ??= new Dictionary<string, object>();
        for (int i = 0; i < inputs.Count; i++)
        {
            GraphTensor t = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Input {i} of {opType} is null.");
            if (!ReferenceEquals(t.Graph, this))
            {
                throw new ArgumentException($"Input {i} of {opType} ({t.Name}) belongs to another graph.", nameof(inputs));
            }
        }

        // Attrs as TensorFlow writes them, sorted by key (its deterministic serialization order).
        var attrValues = new SortedDictionary<string, AttrValue>(StringComparer.Ordinal);
        DataType[] outputTypes = PrepareAttrs(opType, inputs, attrs, attrValues);

        string nodeName;
        if (name is not null && name.EndsWith('/'))
        {
            nodeName = name[..^1];
            ValidateNodeName(nodeName);
            if (_byName.ContainsKey(nodeName))
            {
                throw new ArgumentException($"Duplicate node name in graph: '{nodeName}'.", nameof(name));
            }
        }
        else
        {
            string wanted = name ?? opType;
            ValidateNodeName(wanted);
            nodeName = UniqueName(wanted);
        }

        if (_colocation.Count > 0)
        {
            var groups = new SortedSet<string>(StringComparer.Ordinal);
            foreach (GraphNode c in _colocation)
            {
                groups.UnionWith(c.ColocationGroups);
            }

            var list = new AttrValue.Types.ListValue();
            list.S.AddRange(groups.Select(ByteString.CopyFromUtf8));
            attrValues["_class"] = new AttrValue { List = list };
        }

        var def = new NodeDef { Name = nodeName, Op = opType };
        def.Input.AddRange(inputs.Select(t => t.InputName));
        foreach (KeyValuePair<string, AttrValue> a in attrValues)
        {
            def.Attr.Add(a.Key, a.Value);
        }

        if (opType == "Shape")
        {
            def.ExperimentalType = ShapeFullType(outputTypes[0]);
        }

        TensorShape[] inputShapes = inputs.Select(t => t.Shape).ToArray();
        TensorShape[] outputShapes;
        try
        {
            outputShapes = InferShapes(opType, inputs, attrValues);
        }
        catch (ShapeInferenceException ex)
        {
            throw new ShapeInferenceException(ex.Message, GraphProtos.NodeDescription(def, inputShapes));
        }

        var node = new GraphNode(this, def, [.. inputs], outputTypes, outputShapes);
        _nodes.Add(node);
        _byName.Add(nodeName, node);
        return node.Outputs;
    }

    /// <summary>
    /// Adds the nodes of <paramref name="graph"/> (TensorFlow's <c>tf.compat.v1.import_graph_def</c>):
    /// the graph is checked as <see cref="GraphExecutor"/> checks it (known ops, inputs, types,
    /// no cycle, static shapes), then its nodes are added after their inputs, names prefixed with
    /// <paramref name="prefix"/><c>/</c> (made unique like a name scope; "" — the default here,
    /// <c>name=''</c> in TensorFlow — adds them as named). Imported names count as used, so nodes
    /// added later get TensorFlow's next free names (<c>fq_1</c>, <c>gradients_1</c>, ...).
    /// </summary>
    /// <param name="graph">The graph to import (not modified).</param>
    /// <param name="prefix">Name prefix ("" for none).</param>
    /// <returns>The new nodes, inputs before consumers.</returns>
    /// <exception cref="InvalidDataException">Structurally invalid, or a node name already in this graph.</exception>
    /// <exception cref="NotSupportedException">An op type the builder does not know.</exception>
    /// <exception cref="ShapeInferenceException">A node's shape function failed (TensorFlow's text).</exception>
    public IReadOnlyList<GraphNode> Import(GraphDef graph, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(prefix);
        var checkedGraph = new GraphExecutor(graph);
        string scope = "";
        if (prefix.Length > 0)
        {
            using NameScope s = OpenNameScope(prefix);
            scope = s.Name;
        }

        (NodeDef Def, DataType[] Types, TensorShape[] Shapes)[] nodes = [.. checkedGraph.NodesInTopologicalOrder()];
        foreach (var (def, _, _) in nodes)
        {
            if (_byName.ContainsKey(scope + def.Name))
            {
                throw new InvalidDataException($"Duplicate node name in graph: '{scope + def.Name}'.");
            }
        }

        var added = new List<GraphNode>(nodes.Length);
        foreach (var (source, types, shapes) in nodes)
        {
            NodeDef def = source.Clone();
            def.Name = scope + def.Name;

            // As TensorFlow's import (AddDefaultsToNodeDef): a FakeQuant node gets the attrs its
            // GraphDef left out at their OpDef defaults, so gradients and re-export see them.
            if (FakeQuantCatalog.TryGet(def.Op, out FakeQuantOpDef? fq))
            {
                foreach (AttrDefinition a in fq.Attrs)
                {
                    if (!def.Attr.ContainsKey(a.Name))
                    {
                        def.Attr[a.Name] = GraphProtos.ToAttrValue(a.DefaultValue);
                    }
                }
            }

            var inputs = new List<GraphTensor>();
            for (int i = 0; i < def.Input.Count; i++)
            {
                string input = def.Input[i];
                bool control = input.StartsWith('^');
                string renamed = control ? "^" + scope + input[1..] : scope + input;
                def.Input[i] = renamed;
                if (!control)
                {
                    inputs.Add(GetTensor(renamed));
                }
            }

            GraphProtos.SortAttrMaps(def);
            var node = new GraphNode(this, def, inputs, types, shapes);
            _nodes.Add(node);
            _byName.Add(def.Name, node);
            _namesInUse.TryAdd(def.Name.ToLowerInvariant(), 1);
            added.Add(node);
        }

        return added;
    }

    /// <summary>The graph as a <see cref="GraphDef"/> (a deep copy; <c>versions.producer</c> = <see cref="GraphProtos.Producer"/>).</summary>
    /// <returns>A new GraphDef.</returns>
    public GraphDef ToGraphDef()
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = GraphProtos.Producer } };
        foreach (GraphNode n in _nodes)
        {
            g.Node.Add(n.Def.Clone());
        }

        return g;
    }

    /// <summary>The GraphDef's bytes as TensorFlow's deterministic serialization writes them.</summary>
    /// <returns>The wire bytes.</returns>
    public byte[] ToByteArray() => GraphProtos.ToDeterministicBytes(ToGraphDef());

    private static DataType[] PrepareAttrs(string opType, IReadOnlyList<GraphTensor> inputs, IReadOnlyDictionary<string, object> attrs,
        SortedDictionary<string, AttrValue> values)
    {
        if (FakeQuantCatalog.TryGet(opType, out FakeQuantOpDef? fq))
        {
            CheckArity(opType, inputs, fq.InputNames.Count);
            RequireType(opType, inputs, DataType.DtFloat);
            foreach (AttrDefinition a in fq.Attrs)
            {
                object v = attrs.TryGetValue(a.Name, out object? given) ? given : a.DefaultValue;
                AttrValue av = GraphProtos.ToAttrValue(v);
                bool ok = a.Type switch
                {
                    AttrType.Int => av.ValueCase == AttrValue.ValueOneofCase.I,
                    AttrType.Float => av.ValueCase == AttrValue.ValueOneofCase.F,
                    AttrType.Bool => av.ValueCase == AttrValue.ValueOneofCase.B,
                    _ => false,
                };
                if (!ok)
                {
                    throw new ArgumentException($"Attr {a.Name} of {opType} must be of type {a.Type.ToString().ToLowerInvariant()}.", nameof(attrs));
                }

                values[a.Name] = av;
            }

            RejectUnknownAttrs(opType, attrs, fq.Attrs.Select(a => a.Name));
            return Enumerable.Repeat(DataType.DtFloat, fq.OutputNames.Count).ToArray();
        }

        switch (opType)
        {
            case "Placeholder":
                CheckArity(opType, inputs, 0);
                values["dtype"] = new AttrValue { Type = DataType.DtFloat };
                values["shape"] = GraphProtos.ToAttrValue(attrs.TryGetValue("shape", out object? s) ? s : TensorShape.Unknown);
                if (values["shape"].ValueCase != AttrValue.ValueOneofCase.Shape)
                {
                    throw new ArgumentException("Placeholder's shape attr must be a shape.", nameof(attrs));
                }

                RejectUnknownAttrs(opType, attrs, ["dtype", "shape"]);
                return [DataType.DtFloat];

            case "Const":
            {
                CheckArity(opType, inputs, 0);
                AttrValue v = attrs.TryGetValue("value", out object? value) ? GraphProtos.ToAttrValue(value) : throw new ArgumentException("Const needs a value attr.", nameof(attrs));
                if (v.Tensor is not { Dtype: DataType.DtFloat or DataType.DtInt32 } tensor)
                {
                    throw new ArgumentException("Const's value must be a float or int32 tensor.", nameof(attrs));
                }

                values["dtype"] = new AttrValue { Type = tensor.Dtype };
                values["value"] = v;
                RejectUnknownAttrs(opType, attrs, ["dtype", "value"]);
                return [tensor.Dtype];
            }

            case "Identity":
                CheckArity(opType, inputs, 1);
                values["T"] = new AttrValue { Type = inputs[0].DType };
                RejectUnknownAttrs(opType, attrs, ["T"]);
                return [inputs[0].DType];

            case "Shape":
            {
                CheckArity(opType, inputs, 1);
                DataType outType = attrs.TryGetValue("out_type", out object? ot) ? (DataType)ot : DataType.DtInt32;
                if (outType is not DataType.DtInt32 and not DataType.DtInt64)
                {
                    throw new ArgumentException("Shape's out_type must be int32 or int64.", nameof(attrs));
                }

                values["T"] = new AttrValue { Type = inputs[0].DType };
                values["out_type"] = new AttrValue { Type = outType };
                RejectUnknownAttrs(opType, attrs, ["T", "out_type"]);
                return [outType];
            }

            case "Fill":
                CheckArity(opType, inputs, 2);
                if (inputs[0].DType is not DataType.DtInt32 and not DataType.DtInt64 || inputs[1].DType != DataType.DtFloat)
                {
                    throw new ArgumentException("Fill takes int32/int64 dims and a float value.", nameof(inputs));
                }

                values["T"] = new AttrValue { Type = DataType.DtFloat };
                values["index_type"] = new AttrValue { Type = inputs[0].DType };
                RejectUnknownAttrs(opType, attrs, ["T", "index_type"]);
                return [DataType.DtFloat];

            case "AddN":
                if (inputs.Count < 1)
                {
                    throw new ArgumentException("AddN takes at least one input.", nameof(inputs));
                }

                RequireType(opType, inputs, DataType.DtFloat);
                values["N"] = new AttrValue { I = inputs.Count };
                values["T"] = new AttrValue { Type = DataType.DtFloat };
                RejectUnknownAttrs(opType, attrs, ["N", "T"]);
                return [DataType.DtFloat];

            default:
                throw new NotSupportedException(
                    $"Op type '{opType}' is not supported by the graph builder (supported: Placeholder, Const, Identity, Shape, Fill, AddN and the six FakeQuant ops).");
        }
    }

    private static void CheckArity(string opType, IReadOnlyList<GraphTensor> inputs, int count)
    {
        if (inputs.Count != count)
        {
            throw new ArgumentException($"{opType} takes {count} inputs, got {inputs.Count}.", nameof(inputs));
        }
    }

    private static void RequireType(string opType, IReadOnlyList<GraphTensor> inputs, DataType type)
    {
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].DType != type)
            {
                throw new ArgumentException($"Input {i} of {opType} ({inputs[i].Name}) is {GraphProtos.DataTypeName(inputs[i].DType)}; {GraphProtos.DataTypeName(type)} expected.", nameof(inputs));
            }
        }
    }

    private static void RejectUnknownAttrs(string opType, IReadOnlyDictionary<string, object> attrs, IEnumerable<string> known)
    {
        var set = new HashSet<string>(known, StringComparer.Ordinal);
        foreach (string key in attrs.Keys)
        {
            if (!set.Contains(key) && !key.StartsWith('_'))
            {
                throw new ArgumentException($"{opType} has no attr named '{key}'.", nameof(attrs));
            }
        }
    }

    /// <summary>Static output shapes, as TensorFlow's shape functions compute them.</summary>
    private static TensorShape[] InferShapes(string opType, IReadOnlyList<GraphTensor> inputs, SortedDictionary<string, AttrValue> attrs)
    {
        if (FakeQuantCatalog.TryGet(opType, out FakeQuantOpDef? fq))
        {
            return ShapeInference.InferOutputShapes(fq, inputs.Select(t => t.Shape).ToArray());
        }

        return opType switch
        {
            "Placeholder" => [GraphProtos.FromProto(attrs["shape"].Shape)],
            "Const" => [GraphProtos.FromProto(attrs["value"].Tensor.TensorShape ?? new TensorShapeProto())],
            "Identity" => [inputs[0].Shape],
            "Shape" => [TensorShape.Of(inputs[0].Shape.IsRankKnown ? inputs[0].Shape.Rank : TensorShape.UnknownDim)],
            "Fill" => [FillShape(inputs[0])],
            "AddN" => [inputs.Skip(1).Aggregate(inputs[0].Shape, (a, t) => ShapeInference.Merge(a, t.Shape))],
            _ => throw new NotSupportedException($"Op type '{opType}' is not supported by the graph builder."),
        };
    }

    /// <summary>Fill's shape: the (partial) value of its dims input, as TensorFlow's constant folding of <c>Shape</c> sees it.</summary>
    private static TensorShape FillShape(GraphTensor dims)
    {
        if (dims.Node.OpType == "Shape")
        {
            return dims.Node.Inputs[0].Shape;
        }

        if (dims.Node.OpType == "Const" && GraphProtos.Int32VectorValues(dims.Node.Def.Attr["value"].Tensor) is { } values)
        {
            return TensorShape.Of(values.Select(v => Math.Max(v, -1)).ToArray());
        }

        return dims.Shape.IsRankKnown && dims.Shape.Rank == 1 && dims.Shape[0] >= 0
            ? TensorShape.Of(Enumerable.Repeat(TensorShape.UnknownDim, (int)dims.Shape[0]).ToArray())
            : TensorShape.Unknown;
    }

    private static FullTypeDef ShapeFullType(DataType outType) => new()
    {
        TypeId = FullTypeId.TftProduct,
        Args =
        {
            new FullTypeDef
            {
                TypeId = FullTypeId.TftShapeTensor,
                Args = { new FullTypeDef { TypeId = outType == DataType.DtInt64 ? (FullTypeId)208 : FullTypeId.TftInt32 } },
            },
        },
    };

    /// <summary>TensorFlow's <c>make_tensor_proto</c> for float32 data.</summary>
    internal static TensorProto ToTensorProto(FloatTensor value)
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = GraphProtos.ToProto(value.Shape) };
        ReadOnlySpan<float> data = value.Span;
        if (data.Length == 0)
        {
            return p;
        }

        bool same = true;
        int first = BitConverter.SingleToInt32Bits(data[0]);
        for (int i = 1; i < data.Length && same; i++)
        {
            same = BitConverter.SingleToInt32Bits(data[i]) == first;
        }

        if (same)
        {
            p.FloatVal.Add(data[0]);
            return p;
        }

        byte[] bytes = new byte[checked(data.Length * sizeof(float))];
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), data[i]);
        }

        p.TensorContent = ByteString.CopyFrom(bytes);
        return p;
    }

    [GeneratedRegex(@"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")]
    private static partial Regex ValidNodeName();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-/>]*$")]
    private static partial Regex ValidScopeName();

    private static void ValidateNodeName(string name)
    {
        if (!ValidNodeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid node name (TensorFlow accepts [A-Za-z0-9.][A-Za-z0-9_.\\-/>]*).", nameof(name));
        }
    }

    private static void ValidateScopeName(string name)
    {
        if (!ValidScopeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid scope name (TensorFlow accepts [A-Za-z0-9_.\\-/>]*).", nameof(name));
        }
    }

    internal void RestoreNameStack(string stack) => _nameStack = stack;

    private sealed class Restore(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose()
        {
            _action?.Invoke();
            _action = null;
        }
    }
}

/// <summary>An open name scope of a <see cref="GraphBuilder"/>; disposing it returns to the enclosing scope.</summary>
public sealed class NameScope : IDisposable
{
    private readonly GraphBuilder _graph;
    private readonly string _previous;
    private bool _disposed;

    internal NameScope(GraphBuilder graph, string previous, string name)
    {
        _graph = graph;
        _previous = previous;
        Name = name;
    }

    /// <summary>The scope's full name with a trailing slash (<c>scope/</c>), or "" for the root; pass it as a node name to name a node exactly after the scope.</summary>
    public string Name { get; }

    /// <summary>Leaves the scope.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _graph.RestoreNameStack(_previous);
            _disposed = true;
        }
    }
}

/// <summary>Parsing of TensorFlow tensor names (<c>node:index</c>, <c>node</c>, <c>^node</c>).</summary>
internal static class TensorNames
{
    /// <summary>Splits <c>node:index</c>; a missing or non-numeric suffix means output 0.</summary>
    public static (string Node, int Index) Parse(string name)
    {
        int colon = name.LastIndexOf(':');
        if (colon > 0 && int.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
        {
            return (name[..colon], index);
        }

        return (name, 0);
    }
}
