using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// The check before <c>TF_SessionRun</c>: every FakeQuant node (the six ops and the axis ops)
/// that the run will execute gets this library's kernel checks on its actual input shapes, so
/// inputs that abort TensorFlow 2.21 (rank-0 per-channel inputs) become a clean
/// <see cref="InvalidArgumentException"/> and the process lives.
/// </summary>
/// <remarks>
/// Which nodes run: the backward closure of the fetches and targets over data and control inputs,
/// stopping at fed tensors (TensorFlow prunes the same way). An input's shape is the fed tensor's,
/// else the static shape when fully defined. When neither is known, the guard adds a
/// <c>Shape</c> node for that input (once per input, cached in the graph) and runs it first with
/// the same feeds — in dependency order, so that a node whose input depends on another unchecked
/// FakeQuant node is only probed after that node was checked.
/// </remarks>
internal static unsafe class RunGuard
{
    internal sealed class Node
    {
        public required nint Op { get; init; }
        public required string Type { get; init; }
        public required string Name { get; init; }
        public required TF_Output[] Inputs { get; init; }
        public TensorShape?[] Shapes { get; set; } = [];
    }

    public static void Check(NativeGraph graph, NativeSession session, IReadOnlyList<(TfOutput Output, TensorShape Shape)> feeds,
        IReadOnlyList<TfOutput> fetches, IReadOnlyList<(TfOutput Output, FloatTensor Value)> feedValues)
    {
        var fed = new Dictionary<(nint, int), TensorShape>();
        foreach ((TfOutput o, TensorShape s) in feeds)
        {
            fed[(o.Operation, o.Index)] = s;
        }

        List<Node> nodes = FindNodes(fetches.Select(f => f.Operation), fed);
        var pending = new List<Node>();
        foreach (Node node in nodes)
        {
            node.Shapes = node.Inputs.Select(i => KnownShape(graph, i, fed)).ToArray();
            if (node.Shapes.All(s => s is not null))
            {
                CheckNode(node);
            }
            else
            {
                pending.Add(node);
            }
        }

        while (pending.Count > 0)
        {
            var pendingOps = pending.Select(p => p.Op).ToHashSet();
            List<Node> ready = pending.Where(n => !UnresolvedUpstream(n, fed).Overlaps(pendingOps.Where(p => p != n.Op))).ToList();
            if (ready.Count == 0)
            {
                throw new InvalidOperationException("The FakeQuant nodes of this graph depend on each other in a cycle; the run guard cannot order them.");
            }

            // One probe run for all ready nodes: fetch a Shape of each unresolved input.
            var probes = new List<(Node Node, int Input, TfOutput Probe)>();
            foreach (Node n in ready)
            {
                for (int i = 0; i < n.Inputs.Length; i++)
                {
                    if (n.Shapes[i] is null)
                    {
                        probes.Add((n, i, ShapeProbe(graph, n, i)));
                    }
                }
            }

            TensorShape[] shapes = session.RunShapes(feedValues, probes.Select(p => p.Probe).ToArray());
            for (int k = 0; k < probes.Count; k++)
            {
                probes[k].Node.Shapes[probes[k].Input] = shapes[k];
            }

            foreach (Node n in ready)
            {
                CheckNode(n);
                pending.Remove(n);
            }
        }
    }

    /// <summary>The kernel checks of one node (reads its attrs from the graph).</summary>
    internal static void CheckNode(Node node)
    {
        TensorShape[] shapes = node.Shapes.Select(s => s!).ToArray();
        if (AxisOps.IsAxisOp(node.Type))
        {
            AxisOps.CheckKernel(node.Type == AxisOps.GradientName, ReadInt(node.Op, "num_bits"), ReadInt(node.Op, "axis"), shapes, node.Name);
            return;
        }

        FakeQuantOpDef op = FakeQuantCatalog.Get(node.Type);
        KernelChecks.Check(op, ReadAttrs(node.Op, op), shapes, node.Name);
    }

    /// <summary>The attrs of a FakeQuant TF_Operation.</summary>
    internal static FakeQuantAttrs ReadAttrs(nint op, FakeQuantOpDef def) =>
        def.HasRangeAttrs
            ? new FakeQuantAttrs(ReadInt(op, "num_bits"), ReadBool(op, "narrow_range"), ReadFloat(op, "min"), ReadFloat(op, "max"))
            : new FakeQuantAttrs(ReadInt(op, "num_bits"), ReadBool(op, "narrow_range"));

    internal static long ReadInt(nint op, string name) =>
        AttrReader.Read<long>(op, name, &GraphApi.TF_OperationGetAttrInt, "TF_OperationGetAttrInt");

    internal static bool ReadBool(nint op, string name) =>
        AttrReader.Read<byte>(op, name, &GraphApi.TF_OperationGetAttrBool, "TF_OperationGetAttrBool") != 0;

    internal static float ReadFloat(nint op, string name) =>
        AttrReader.Read<float>(op, name, &GraphApi.TF_OperationGetAttrFloat, "TF_OperationGetAttrFloat");

    internal static string OpType(nint op) => Utf8.Read(GraphApi.TF_OperationOpType(op)) ?? string.Empty;

    internal static string OpName(nint op) => Utf8.Read(GraphApi.TF_OperationName(op)) ?? string.Empty;

    internal static bool IsGuarded(string type) => FakeQuantCatalog.TryGet(type, out _) || AxisOps.IsAxisOp(type);

    internal static TF_Output[] DataInputs(nint op)
    {
        int n = GraphApi.TF_OperationNumInputs(op);
        var inputs = new TF_Output[n];
        for (int i = 0; i < n; i++)
        {
            inputs[i] = GraphApi.TF_OperationInput(new TF_Input(op, i));
        }

        return inputs;
    }

    internal static nint[] ControlInputs(nint op)
    {
        int n = GraphApi.TF_OperationNumControlInputs(op);
        if (n == 0)
        {
            return [];
        }

        var ops = new nint[n];
        fixed (nint* p = ops)
        {
            n = GraphApi.TF_OperationGetControlInputs(op, p, n);
        }

        return ops[..n];
    }

    /// <summary>The guarded nodes in the backward closure of <paramref name="roots"/>, stopping at fed tensors.</summary>
    private static List<Node> FindNodes(IEnumerable<nint> roots, Dictionary<(nint, int), TensorShape> fed)
    {
        var result = new List<Node>();
        foreach (nint op in Closure(roots, fed))
        {
            string type = OpType(op);
            if (IsGuarded(type))
            {
                result.Add(new Node { Op = op, Type = type, Name = OpName(op), Inputs = DataInputs(op) });
            }
        }

        return result;
    }

    private static HashSet<nint> Closure(IEnumerable<nint> roots, Dictionary<(nint, int), TensorShape> fed)
    {
        var seen = new HashSet<nint>();
        var stack = new Stack<nint>(roots);
        while (stack.Count > 0)
        {
            nint op = stack.Pop();
            if (!seen.Add(op))
            {
                continue;
            }

            foreach (TF_Output input in DataInputs(op))
            {
                if (!fed.ContainsKey((input.Oper, input.Index)))
                {
                    stack.Push(input.Oper);
                }
            }

            foreach (nint control in ControlInputs(op))
            {
                stack.Push(control);
            }
        }

        return seen;
    }

    /// <summary>The ops a probe of <paramref name="node"/>'s unresolved inputs would run.</summary>
    private static HashSet<nint> UnresolvedUpstream(Node node, Dictionary<(nint, int), TensorShape> fed)
    {
        IEnumerable<nint> roots = node.Inputs.Where((_, i) => node.Shapes[i] is null).Select(i => i.Oper);
        return Closure(roots, fed);
    }

    private static TensorShape? KnownShape(NativeGraph graph, TF_Output input, Dictionary<(nint, int), TensorShape> fed)
    {
        if (fed.TryGetValue((input.Oper, input.Index), out TensorShape? s))
        {
            return s;
        }

        TensorShape shape = graph.GetStaticShape(new TfOutput(graph, input.Oper, input.Index));
        return shape.IsFullyDefined ? shape : null;
    }

    private static TfOutput ShapeProbe(NativeGraph graph, Node node, int input)
    {
        string name = $"{node.Name}/tffq_input_shape_{input}";
        if (graph.FindOperation(name) is nint existing)
        {
            return new TfOutput(graph, existing, 0);
        }

        TF_Output raw = node.Inputs[input];
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal) { ["out_type"] = DataTypeAttr.Int64 };
        return graph.AddOperation("Shape", name, [new TfOutput(graph, raw.Oper, raw.Index)], attrs)[0];
    }
}
