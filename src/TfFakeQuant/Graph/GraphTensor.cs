using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Graph;

/// <summary>
/// One output of a graph node (TensorFlow's symbolic <c>tf.Tensor</c> in a <c>tf.Graph</c>):
/// the node, the output index, the element type and the static shape TensorFlow's shape
/// functions inferred for it (unknown rank / dims allowed).
/// </summary>
public sealed class GraphTensor
{
    internal GraphTensor(GraphNode node, int index, DataType dtype, TensorShape shape)
    {
        Node = node;
        Index = index;
        DType = dtype;
        Shape = shape;
    }

    /// <summary>The node producing this tensor.</summary>
    public GraphNode Node { get; }

    /// <summary>The output index on <see cref="Node"/>.</summary>
    public int Index { get; }

    /// <summary>The element type (<c>DT_FLOAT</c>, or <c>DT_INT32</c> for a <c>Shape</c> output).</summary>
    public DataType DType { get; }

    /// <summary>The static shape inferred when the node was added (TensorFlow's <c>tensor.shape</c>).</summary>
    public TensorShape Shape { get; internal set; }

    /// <summary>The graph the tensor belongs to.</summary>
    public GraphBuilder Graph => Node.Graph;

    /// <summary>TensorFlow's tensor name <c>node:index</c>, for example <c>fq:0</c>; what <see cref="GraphExecutor.Run(IReadOnlyDictionary{string, FloatTensor}, IReadOnlyList{string})"/> fetches.</summary>
    public string Name => $"{Node.Name}:{Index}";

    /// <summary>How a consumer's NodeDef names this tensor: <c>node</c> for output 0, else <c>node:index</c>.</summary>
    internal string InputName => Index == 0 ? Node.Name : Name;

    /// <inheritdoc />
    public override string ToString() => $"GraphTensor(\"{Name}\", shape={Shape}, dtype={DType})";
}

/// <summary>
/// A node of a <see cref="GraphBuilder"/>: its <see cref="NodeDef"/> (name, op, inputs, attrs
/// exactly as TensorFlow's graph builder writes them), its input tensors and its outputs.
/// </summary>
public sealed class GraphNode
{
    private readonly GraphTensor[] _outputs;

    internal GraphNode(GraphBuilder graph, NodeDef def, IReadOnlyList<GraphTensor> inputs, DataType[] outputTypes, TensorShape[] outputShapes)
    {
        Graph = graph;
        Def = def;
        Inputs = inputs;
        _outputs = new GraphTensor[outputTypes.Length];
        for (int i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = new GraphTensor(this, i, outputTypes[i], outputShapes[i]);
        }
    }

    /// <summary>The graph this node belongs to.</summary>
    public GraphBuilder Graph { get; }

    /// <summary>The node's NodeDef. It is the graph's own copy: read it, do not change it.</summary>
    public NodeDef Def { get; }

    /// <summary>The node name, unique in the graph (for example <c>scope/fq_1</c>).</summary>
    public string Name => Def.Name;

    /// <summary>The op type, for example <c>FakeQuantWithMinMaxVarsPerChannel</c>.</summary>
    public string OpType => Def.Op;

    /// <summary>The input tensors in OpDef order.</summary>
    public IReadOnlyList<GraphTensor> Inputs { get; }

    /// <summary>The outputs in OpDef order.</summary>
    public IReadOnlyList<GraphTensor> Outputs => _outputs;

    /// <summary>
    /// TensorFlow's colocation groups of the node: the entries of its <c>_class</c> attr, or
    /// <c>loc:@NAME</c> when it has none.
    /// </summary>
    public IReadOnlyList<string> ColocationGroups =>
        Def.Attr.TryGetValue("_class", out AttrValue? c) && c.List is { } list && list.S.Count > 0
            ? list.S.Select(b => b.ToStringUtf8()).ToArray()
            : ["loc:@" + Name];

    /// <inheritdoc />
    public override string ToString() => $"{Name} = {OpType}";
}
