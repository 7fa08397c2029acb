using System.Buffers.Binary;
using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Graph;

/// <summary>
/// Runs a TensorFlow <see cref="GraphDef"/> — built here or recorded from TensorFlow — with the
/// library's managed kernels, as a <c>tf.compat.v1.Session</c> would: feeds by tensor name
/// (<c>x</c> or <c>x:0</c>), fetches by <c>node:index</c>, only the nodes a fetch needs run.
/// </summary>
/// <remarks>
/// <para>Ops: <c>Placeholder</c>, <c>Const</c> (float / int32), <c>Identity</c>, <c>Shape</c>,
/// <c>Fill</c>, <c>AddN</c> (summed left to right with TensorFlow's flush-to-zero) and the six
/// FakeQuant ops (<see cref="FakeQuantOps.Execute(FakeQuantOpDef, IReadOnlyList{FloatTensor}, FakeQuantAttrs?, string?)"/>,
/// with the node name in ArgsGradient's text). Attrs missing from a NodeDef take TensorFlow's
/// defaults.</para>
/// <para>Construction does what TensorFlow's <c>import_graph_def</c> does: checks that every op
/// is known, every input exists and has the right type, the graph has no cycle, and runs the
/// static shape functions (errors: <see cref="ShapeInferenceException"/> with TensorFlow's text).
/// Run-time checks (<c>num_bits</c>, Args' <c>min &lt; max</c>, kernel shape checks) raise
/// <see cref="InvalidArgumentException"/> with the kernels' texts when the node runs.</para>
/// <para>An executor is immutable after construction; <see cref="Run(IReadOnlyDictionary{string, FloatTensor}, IReadOnlyList{string})"/> may be called from several threads.</para>
/// </remarks>
public sealed class GraphExecutor
{
    /// <summary>The op types this executor runs.</summary>
    public static IReadOnlySet<string> SupportedOps { get; } = new HashSet<string>(
        ["Placeholder", "Const", "Identity", "Shape", "Fill", "AddN", .. FakeQuantCatalog.All.Select(o => o.Name)], StringComparer.Ordinal);

    private readonly Node[] _nodes;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<int> _order;

    /// <summary>Prepares <paramref name="graph"/> for running (see the class remarks for the checks).</summary>
    /// <param name="graph">The graph (not modified; later changes to it are not seen).</param>
    /// <exception cref="InvalidDataException">Structurally invalid: duplicate or empty node names, an input naming no node or output, a cycle, an attr of the wrong kind.</exception>
    /// <exception cref="NotSupportedException">An op type this executor does not run.</exception>
    /// <exception cref="ShapeInferenceException">A node's static shape function failed (TensorFlow's text).</exception>
    public GraphExecutor(GraphDef graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _nodes = new Node[graph.Node.Count];
        for (int i = 0; i < _nodes.Length; i++)
        {
            NodeDef def = graph.Node[i];
            if (string.IsNullOrEmpty(def.Name))
            {
                throw new InvalidDataException($"Node {i} has no name.");
            }

            if (!_index.TryAdd(def.Name, i))
            {
                throw new InvalidDataException($"Node '{def.Name}' is defined twice.");
            }

            if (!SupportedOps.Contains(def.Op))
            {
                throw new NotSupportedException(
                    $"Op type not registered '{def.Op}' (node '{def.Name}'): the managed executor runs {string.Join(", ", SupportedOps)}.");
            }

            _nodes[i] = new Node(def);
        }

        foreach (Node n in _nodes)
        {
            foreach (string input in n.Def.Input)
            {
                bool control = input.StartsWith('^');
                (string src, int idx) = TensorNames.Parse(control ? input[1..] : input);
                if (!_index.TryGetValue(src, out int s))
                {
                    throw new InvalidDataException($"Node '{n.Def.Name}': input '{input}' names no node of the graph.");
                }

                if (control)
                {
                    n.Control.Add(s);
                }
                else
                {
                    n.Inputs.Add((s, idx));
                }
            }
        }

        _order = TopologicalOrder();
        foreach (int i in _order)
        {
            Prepare(_nodes[i]);
        }
    }

    /// <summary>The nodes in an order where every node follows its inputs, with their output types and static shapes.</summary>
    internal IEnumerable<(NodeDef Def, DataType[] Types, TensorShape[] Shapes)> NodesInTopologicalOrder() =>
        _order.Select(i => (_nodes[i].Def, _nodes[i].Types, _nodes[i].Shapes));

    /// <summary>Prepares the graph <paramref name="graph"/> currently holds.</summary>
    /// <param name="graph">The builder.</param>
    /// <exception cref="ShapeInferenceException">Cannot happen for a builder's graph (its nodes were checked when added).</exception>
    public GraphExecutor(GraphBuilder graph)
        : this((graph ?? throw new ArgumentNullException(nameof(graph))).ToGraphDef())
    {
    }

    /// <summary>The static shape of a tensor (<c>node:index</c>), as inferred at construction.</summary>
    /// <param name="tensorName">The tensor name.</param>
    /// <returns>Its static shape.</returns>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public TensorShape GetStaticShape(string tensorName)
    {
        (int node, int index) = Resolve(tensorName);
        return _nodes[node].Shapes[index];
    }

    /// <summary>Runs the graph for one fetch.</summary>
    /// <param name="feeds">Values by tensor name (<c>x</c> or <c>x:0</c>); every placeholder the fetch needs must be fed.</param>
    /// <param name="fetch">The tensor to compute (<c>node:index</c>).</param>
    /// <returns>Its value.</returns>
    /// <exception cref="InvalidArgumentException">A missing feed, a fed shape the tensor's static shape rejects, or a kernel check (TensorFlow's texts).</exception>
    /// <exception cref="KeyNotFoundException">A feed or fetch names no tensor.</exception>
    public FloatTensor Run(IReadOnlyDictionary<string, FloatTensor> feeds, string fetch) => Run(feeds, [fetch])[0];

    /// <summary>Runs the graph: computes every fetch from the feeds, running each needed node once.</summary>
    /// <param name="feeds">Values by tensor name (<c>x</c> or <c>x:0</c>); any float tensor may be fed, placeholders must be.</param>
    /// <param name="fetches">Tensors to compute (<c>node:index</c>, or <c>node</c> for output 0); float outputs only.</param>
    /// <returns>One value per fetch.</returns>
    /// <exception cref="InvalidArgumentException">A missing feed (<c>You must feed a value for placeholder tensor ...</c>), a fed shape incompatible with the static shape (<c>Cannot feed value of shape ...</c>), or a kernel check (TensorFlow's texts).</exception>
    /// <exception cref="KeyNotFoundException">A feed or fetch names no tensor.</exception>
    /// <exception cref="ArgumentException">A fetch of an integer tensor.</exception>
    public FloatTensor[] Run(IReadOnlyDictionary<string, FloatTensor> feeds, IReadOnlyList<string> fetches)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        ArgumentNullException.ThrowIfNull(fetches);
        var fed = new Dictionary<(int, int), object>();
        foreach (KeyValuePair<string, FloatTensor> f in feeds)
        {
            ArgumentNullException.ThrowIfNull(f.Value, nameof(feeds));
            (int node, int index) = Resolve(f.Key);
            Node n = _nodes[node];
            if (n.Types[index] != DataType.DtFloat)
            {
                throw new ArgumentException($"Tensor {n.Def.Name}:{index} is {GraphProtos.DataTypeName(n.Types[index])}; only float tensors can be fed.", nameof(feeds));
            }

            if (!Compatible(f.Value.Shape, n.Shapes[index]))
            {
                throw new InvalidArgumentException(TfMessages.CannotFeedShape(f.Value.Shape, $"{n.Def.Name}:{index}", n.Shapes[index]));
            }

            fed[(node, index)] = f.Value;
        }

        var targets = fetches.Select(Resolve).ToArray();
        ConstructKernels(targets, fed);
        var values = new object[_nodes.Length][];
        var stack = new Stack<(int Node, bool Expanded)>();
        foreach ((int node, int index) in targets)
        {
            if (!fed.ContainsKey((node, index)))
            {
                stack.Push((node, false));
            }
        }

        while (stack.Count > 0)
        {
            (int i, bool expanded) = stack.Pop();
            if (values[i] is not null)
            {
                continue;
            }

            Node n = _nodes[i];
            if (!expanded)
            {
                stack.Push((i, true));
                foreach (int c in n.Control)
                {
                    if (values[c] is null)
                    {
                        stack.Push((c, false));
                    }
                }

                foreach ((int src, int idx) in n.Inputs)
                {
                    if (values[src] is null && !fed.ContainsKey((src, idx)))
                    {
                        stack.Push((src, false));
                    }
                }

                continue;
            }

            var inputs = new object[n.Inputs.Count];
            for (int k = 0; k < inputs.Length; k++)
            {
                (int src, int idx) = n.Inputs[k];
                inputs[k] = fed.TryGetValue((src, idx), out object? v) ? v : values[src][idx];
            }

            values[i] = Compute(n, inputs);
        }

        var result = new FloatTensor[targets.Length];
        for (int k = 0; k < targets.Length; k++)
        {
            (int node, int index) = targets[k];
            object v = fed.TryGetValue((node, index), out object? f) ? f : values[node][index];
            result[k] = v as FloatTensor ?? throw new ArgumentException($"Fetch '{fetches[k]}' is an integer tensor; only float tensors can be fetched.", nameof(fetches));
        }

        return result;
    }

    private (int Node, int Index) Resolve(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        (string name, int index) = TensorNames.Parse(tensorName);
        if (!_index.TryGetValue(name, out int node))
        {
            throw new KeyNotFoundException($"The graph has no node named '{name}' (tensor '{tensorName}').");
        }

        if (index >= _nodes[node].Types.Length)
        {
            throw new KeyNotFoundException($"Node '{name}' has {_nodes[node].Types.Length} outputs; tensor '{tensorName}' does not exist.");
        }

        return (node, index);
    }

    private static bool Compatible(TensorShape actual, TensorShape expected)
    {
        if (!expected.IsRankKnown)
        {
            return true;
        }

        if (actual.Rank != expected.Rank)
        {
            return false;
        }

        for (int i = 0; i < actual.Rank; i++)
        {
            if (expected[i] != TensorShape.UnknownDim && expected[i] != actual[i])
            {
                return false;
            }
        }

        return true;
    }

    private List<int> TopologicalOrder()
    {
        var order = new List<int>(_nodes.Length);
        var state = new byte[_nodes.Length]; // 0 new, 1 on the stack, 2 done
        var stack = new Stack<(int Node, bool Expanded)>();
        for (int root = 0; root < _nodes.Length; root++)
        {
            if (state[root] != 0)
            {
                continue;
            }

            stack.Push((root, false));
            while (stack.Count > 0)
            {
                (int i, bool expanded) = stack.Pop();
                if (expanded)
                {
                    state[i] = 2;
                    order.Add(i);
                    continue;
                }

                if (state[i] == 2)
                {
                    continue;
                }

                if (state[i] == 1)
                {
                    throw new InvalidDataException($"The graph has a cycle through node '{_nodes[i].Def.Name}'.");
                }

                state[i] = 1;
                stack.Push((i, true));
                foreach (int p in _nodes[i].Inputs.Select(t => t.Node).Concat(_nodes[i].Control))
                {
                    if (state[p] == 1)
                    {
                        throw new InvalidDataException($"The graph has a cycle through node '{_nodes[p].Def.Name}'.");
                    }

                    if (state[p] == 0)
                    {
                        stack.Push((p, false));
                    }
                }
            }
        }

        return order;
    }

    /// <summary>Reads attrs, checks input types and infers static shapes (inputs are prepared first).</summary>
    private void Prepare(Node n)
    {
        NodeDef def = n.Def;
        var inShapes = new TensorShape[n.Inputs.Count];
        var inTypes = new DataType[n.Inputs.Count];
        for (int k = 0; k < inShapes.Length; k++)
        {
            (int src, int idx) = n.Inputs[k];
            Node s = _nodes[src];
            if (idx >= s.Types.Length)
            {
                throw new InvalidDataException($"Node '{def.Name}': input '{def.Input[k]}' names output {idx} of '{s.Def.Name}', which has {s.Types.Length}.");
            }

            inShapes[k] = s.Shapes[idx];
            inTypes[k] = s.Types[idx];
        }

        if (FakeQuantCatalog.TryGet(def.Op, out FakeQuantOpDef? fq))
        {
            RequireInputs(def, inTypes, fq.InputNames.Count, DataType.DtFloat);
            n.FakeQuant = fq;
            n.Attrs = new FakeQuantAttrs(
                Attr(def, "num_bits", AttrValue.ValueOneofCase.I)?.I ?? FakeQuantCatalog.DefaultNumBits,
                Attr(def, "narrow_range", AttrValue.ValueOneofCase.B)?.B ?? false,
                fq.HasRangeAttrs ? Attr(def, "min", AttrValue.ValueOneofCase.F)?.F ?? FakeQuantCatalog.DefaultMin : FakeQuantCatalog.DefaultMin,
                fq.HasRangeAttrs ? Attr(def, "max", AttrValue.ValueOneofCase.F)?.F ?? FakeQuantCatalog.DefaultMax : FakeQuantCatalog.DefaultMax);
            try
            {
                n.Shapes = ShapeInference.InferOutputShapes(fq, inShapes);
            }
            catch (ShapeInferenceException ex)
            {
                throw new ShapeInferenceException(ex.Message, GraphProtos.NodeDescription(def, inShapes));
            }

            n.Types = Enumerable.Repeat(DataType.DtFloat, fq.OutputNames.Count).ToArray();
            return;
        }

        switch (def.Op)
        {
            case "Placeholder":
            {
                RequireInputs(def, inTypes, 0, DataType.DtFloat);
                DataType dtype = Attr(def, "dtype", AttrValue.ValueOneofCase.Type)?.Type ?? DataType.DtFloat;
                if (dtype != DataType.DtFloat)
                {
                    throw new NotSupportedException($"Placeholder '{def.Name}' is {GraphProtos.DataTypeName(dtype)}; the managed executor feeds float placeholders only.");
                }

                n.Shapes = [ReadShape(def, Attr(def, "shape", AttrValue.ValueOneofCase.Shape)?.Shape)];
                n.Types = [DataType.DtFloat];
                break;
            }

            case "Const":
            {
                RequireInputs(def, inTypes, 0, DataType.DtFloat);
                TensorProto t = Attr(def, "value", AttrValue.ValueOneofCase.Tensor)?.Tensor
                    ?? throw new InvalidDataException($"Const '{def.Name}' has no value attr.");
                if (t.Dtype is not DataType.DtFloat and not DataType.DtInt32)
                {
                    throw new NotSupportedException($"Const '{def.Name}' is {GraphProtos.DataTypeName(t.Dtype)}; the managed executor handles float and int32 constants.");
                }

                TensorShape shape = ReadShape(def, t.TensorShape ?? new TensorShapeProto());
                if (!shape.IsFullyDefined)
                {
                    throw new InvalidDataException($"Const '{def.Name}' has the partial shape {shape}.");
                }

                n.Shapes = [shape];
                n.Types = [t.Dtype];
                break;
            }

            case "Identity":
                RequireInputs(def, inTypes, 1, null);
                n.Shapes = [inShapes[0]];
                n.Types = [inTypes[0]];
                break;

            case "Shape":
            {
                RequireInputs(def, inTypes, 1, null);
                DataType outType = Attr(def, "out_type", AttrValue.ValueOneofCase.Type)?.Type ?? DataType.DtInt32;
                if (outType is not DataType.DtInt32 and not DataType.DtInt64)
                {
                    throw new InvalidDataException($"Shape '{def.Name}': out_type must be int32 or int64.");
                }

                n.Shapes = [TensorShape.Of(inShapes[0].IsRankKnown ? inShapes[0].Rank : TensorShape.UnknownDim)];
                n.Types = [outType];
                break;
            }

            case "Fill":
            {
                if (inTypes.Length != 2 || inTypes[0] is not DataType.DtInt32 and not DataType.DtInt64 || inTypes[1] != DataType.DtFloat)
                {
                    throw new InvalidDataException($"Fill '{def.Name}' takes int32/int64 dims and a float value.");
                }

                (int src, _) = n.Inputs[0];
                NodeDef dims = _nodes[src].Def;
                n.Shapes =
                [
                    dims.Op == "Shape" ? _nodes[_nodes[src].Inputs[0].Node].Shapes[_nodes[src].Inputs[0].Index]
                    : dims.Op == "Const" && GraphProtos.Int32VectorValues(dims.Attr["value"].Tensor) is { } values && values.All(v => v >= 0) ? TensorShape.Of(values)
                    : TensorShape.Unknown,
                ];
                n.Types = [DataType.DtFloat];
                break;
            }

            case "AddN":
            {
                if (inTypes.Length == 0)
                {
                    throw new InvalidDataException($"AddN '{def.Name}' has no inputs.");
                }

                RequireInputs(def, inTypes, inTypes.Length, DataType.DtFloat);
                TensorShape merged = inShapes[0];
                try
                {
                    for (int k = 1; k < inShapes.Length; k++)
                    {
                        merged = ShapeInference.Merge(merged, inShapes[k]);
                    }
                }
                catch (ShapeInferenceException ex)
                {
                    throw new ShapeInferenceException(ex.Message, GraphProtos.NodeDescription(def, inShapes));
                }

                n.Shapes = [merged];
                n.Types = [DataType.DtFloat];
                break;
            }

            default:
                throw new NotSupportedException($"Op type not registered '{def.Op}'.");
        }
    }

    private static TensorShape ReadShape(NodeDef def, TensorShapeProto? proto)
    {
        try
        {
            return GraphProtos.FromProto(proto);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Node '{def.Name}': {ex.Message}", ex);
        }
    }

    private static void RequireInputs(NodeDef def, DataType[] types, int count, DataType? type)
    {
        if (types.Length != count)
        {
            throw new InvalidDataException($"Node '{def.Name}' ({def.Op}) has {types.Length} inputs; {count} expected.");
        }

        for (int k = 0; k < types.Length; k++)
        {
            if (type is { } t && types[k] != t)
            {
                throw new InvalidDataException($"Node '{def.Name}' ({def.Op}): input {k} is {GraphProtos.DataTypeName(types[k])}; {GraphProtos.DataTypeName(t)} expected.");
            }
        }
    }

    private static AttrValue? Attr(NodeDef def, string name, AttrValue.ValueOneofCase kind)
    {
        if (!def.Attr.TryGetValue(name, out AttrValue? v))
        {
            return null;
        }

        return v.ValueCase == kind ? v : throw new InvalidDataException($"Node '{def.Name}': attr {name} is {v.ValueCase}; {kind} expected.");
    }

    /// <summary>
    /// The kernel-construction checks (<see cref="KernelChecks.CheckAttrs"/>: Args' <c>min &lt; max</c>,
    /// <c>num_bits</c>) of every FakeQuant node the fetches need, in graph order, before anything
    /// is computed — as TensorFlow's session builds the kernels of the whole pruned graph first:
    /// a bad attr anywhere wins over a compute-time error (a shape check, a missing feed) upstream.
    /// </summary>
    private void ConstructKernels((int Node, int Index)[] targets, Dictionary<(int, int), object> fed)
    {
        var needed = new bool[_nodes.Length];
        var work = new Stack<int>();
        foreach ((int node, int index) in targets)
        {
            if (!fed.ContainsKey((node, index)))
            {
                work.Push(node);
            }
        }

        while (work.Count > 0)
        {
            int i = work.Pop();
            if (needed[i])
            {
                continue;
            }

            needed[i] = true;
            foreach (int c in _nodes[i].Control)
            {
                work.Push(c);
            }

            foreach ((int src, int idx) in _nodes[i].Inputs)
            {
                if (!fed.ContainsKey((src, idx)))
                {
                    work.Push(src);
                }
            }
        }

        for (int i = 0; i < _nodes.Length; i++)
        {
            if (needed[i] && _nodes[i].FakeQuant is { } fq)
            {
                KernelChecks.CheckAttrs(fq, _nodes[i].Attrs ?? FakeQuantAttrs.Default);
            }
        }
    }

    private static object[] Compute(Node n, object[] inputs)
    {
        NodeDef def = n.Def;
        if (n.FakeQuant is { } fq)
        {
            var tensors = new FloatTensor[inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                tensors[k] = (FloatTensor)inputs[k];
            }

            return FakeQuantOps.Execute(fq, tensors, n.Attrs, def.Name);
        }

        switch (def.Op)
        {
            case "Placeholder":
                throw new InvalidArgumentException(TfMessages.MustFeedPlaceholder(def.Name, "float", n.Shapes[0]));

            case "Const":
                return [DecodeConst(def, n.Shapes[0])];

            case "Identity":
                return [inputs[0]];

            case "Shape":
            {
                TensorShape s = inputs[0] is FloatTensor f ? f.Shape : ((IntTensor)inputs[0]).Shape;
                return [new IntTensor(TensorShape.Of((long)s.Rank), s.Dims.ToArray())];
            }

            case "Fill":
            {
                var dims = (IntTensor)inputs[0];
                var value = (FloatTensor)inputs[1];
                if (dims.Shape.Rank != 1)
                {
                    throw new InvalidArgumentException(TfMessages.FillDimsNotVector(dims.Shape));
                }

                if (value.Shape.Rank != 0)
                {
                    throw new InvalidArgumentException(TfMessages.FillValueNotScalar(value.Shape));
                }

                foreach (long d in dims.Data)
                {
                    if (d < 0)
                    {
                        throw new InvalidArgumentException($"Fill: dimension {d} is negative (dims {string.Join(",", dims.Data)}).");
                    }
                }

                FloatTensor result = Allocate(def, TensorShape.Of(dims.Data));
                result.Span.Fill(value[0]);
                return [result];
            }

            case "AddN":
            {
                var first = (FloatTensor)inputs[0];
                FloatTensor sum = FloatTensor.Zeros(first.Shape);
                first.Span.CopyTo(sum.Span);
                Span<float> s = sum.Span;
                for (int k = 1; k < inputs.Length; k++)
                {
                    var t = (FloatTensor)inputs[k];
                    if (!t.Shape.Equals(first.Shape))
                    {
                        throw new InvalidArgumentException(TfMessages.AddNShapes(def.Name, k, first.Shape, t.Shape));
                    }

                    ReadOnlySpan<float> a = t.Span;
                    for (int e = 0; e < s.Length; e++)
                    {
                        s[e] = Subnormals.Flush(Subnormals.Flush(s[e]) + Subnormals.Flush(a[e]));
                    }
                }

                return [sum];
            }

            default:
                throw new NotSupportedException($"Op type not registered '{def.Op}'.");
        }
    }

    private static FloatTensor Allocate(NodeDef def, TensorShape shape)
    {
        long count = ElementCount(shape);
        if (count > Array.MaxLength)
        {
            throw new InvalidArgumentException($"Node '{def.Name}': a tensor of shape {shape} ({count} elements) is larger than one array can hold.");
        }

        return FloatTensor.Zeros(shape);
    }

    /// <summary>The element count of a fully defined shape; <see cref="long.MaxValue"/> when it overflows.</summary>
    private static long ElementCount(TensorShape shape)
    {
        try
        {
            return shape.NumElements;
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    private static object DecodeConst(NodeDef def, TensorShape shape)
    {
        TensorProto t = def.Attr["value"].Tensor;
        if (t.Dtype == DataType.DtInt32)
        {
            long n = ElementCount(shape);
            if (n > 1 << 20)
            {
                throw new InvalidArgumentException($"Const '{def.Name}': int32 constants of more than 2^20 elements are not supported.");
            }

            long[] data = GraphProtos.Int32Values(t, (int)n, out string? problem) ?? throw new InvalidArgumentException($"Const '{def.Name}': {problem}.");
            return new IntTensor(shape, data);
        }

        FloatTensor result = Allocate(def, shape);
        Span<float> dst = result.Span;
        if (t.TensorContent.Length > 0)
        {
            if (t.TensorContent.Length != (long)dst.Length * 4)
            {
                throw new InvalidArgumentException($"Const '{def.Name}': tensor_content has {t.TensorContent.Length} bytes for {dst.Length} float values.");
            }

            ReadOnlySpan<byte> bytes = t.TensorContent.Span;
            for (int i = 0; i < dst.Length; i++)
            {
                dst[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
            }
        }
        else
        {
            int count = t.FloatVal.Count;
            if (count > dst.Length)
            {
                throw new InvalidArgumentException($"Const '{def.Name}': {count} float_val entries for {dst.Length} elements.");
            }

            for (int i = 0; i < count; i++)
            {
                dst[i] = t.FloatVal[i];
            }

            if (count > 0)
            {
                dst[count..].Fill(t.FloatVal[count - 1]);
            }
        }

        return result;
    }

    private sealed class Node(NodeDef def)
    {
        public NodeDef Def { get; } = def;

        public List<(int Node, int Index)> Inputs { get; } = [];

        public List<int> Control { get; } = [];

        public TensorShape[] Shapes { get; set; } = [];

        public DataType[] Types { get; set; } = [];

        public FakeQuantOpDef? FakeQuant { get; set; }

        public FakeQuantAttrs? Attrs { get; set; }
    }

    /// <summary>An integer tensor (a <c>Shape</c> output or an int32 constant).</summary>
    private sealed record IntTensor(TensorShape Shape, long[] Data);
}
