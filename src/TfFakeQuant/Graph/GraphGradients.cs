using TfFakeQuant.Graph.Proto;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Graph;

public sealed partial class GraphBuilder
{
    /// <summary>
    /// Adds the gradient nodes TensorFlow 2's <c>tf.gradients(ys, xs, grad_ys)</c> adds
    /// (<c>gradients_util._GradientsHelper</c> with gradients colocated with their ops): a
    /// <c>gradients</c> name scope (<c>gradients_1</c>, ... on later calls);
    /// <c>gradients/grad_ys_N</c> = <c>Identity(grad_ys[N])</c>, or = <c>Fill(Shape(y), 1.0)</c>
    /// (<c>gradients/Shape</c>, <c>gradients/grad_ys_N/Const</c>) when no <c>grad_ys</c> is given;
    /// then, from the ys back to the xs, each op's registered gradient (shared
    /// <see cref="GradientRegistry"/>; for unregistered <c>Identity</c> / <c>AddN</c> a pass-through,
    /// for <c>Shape</c> none) in a <c>gradients/OP_grad</c> scope, colocated with the op
    /// (<c>_class: loc:@OP</c>); several gradients of one tensor are summed with <c>AddN</c>.
    /// </summary>
    /// <param name="ys">The tensors to differentiate.</param>
    /// <param name="xs">The tensors to differentiate with respect to.</param>
    /// <param name="gradYs">Upstream gradients, one per y (null entries, or null: ones of y's shape).</param>
    /// <param name="name">The name scope (TensorFlow's default <c>gradients</c>).</param>
    /// <returns>One gradient per x; null where no gradient flows (unconnected, or only through a not-differentiable op such as a FakeQuant gradient op).</returns>
    /// <exception cref="KeyNotFoundException">An op on the path has no registered gradient: TensorFlow's <c>LookupError</c> text, <c>No gradient defined for operation'NAME' (op type: TYPE). ...</c>.</exception>
    /// <exception cref="ArgumentException">Tensors of another graph, or <paramref name="gradYs"/> of the wrong length.</exception>
    public IReadOnlyList<GraphTensor?> Gradients(IReadOnlyList<GraphTensor> ys, IReadOnlyList<GraphTensor> xs,
        IReadOnlyList<GraphTensor?>? gradYs = null, string name = "gradients")
    {
        ArgumentNullException.ThrowIfNull(ys);
        ArgumentNullException.ThrowIfNull(xs);
        GradientRegistry.RegisterFakeQuantGradients();
        if (gradYs is not null && gradYs.Count != ys.Count)
        {
            throw new ArgumentException($"Length mismatch. Passed {gradYs.Count} grad_ys for {ys.Count} ys", nameof(gradYs));
        }

        foreach (GraphTensor t in ys.Concat(xs).Concat(gradYs?.Where(g => g is not null) ?? []).Cast<GraphTensor>())
        {
            if (t is null || !ReferenceEquals(t.Graph, this))
            {
                throw new ArgumentException($"Tensor {t?.Name ?? "null"} is not a tensor of this graph.", t is null ? nameof(ys) : nameof(xs));
            }
        }

        using NameScope scope = OpenNameScope(name);
        UniqueName("uid");
        GraphTensor[] gradYsResolved = DefaultGradYs(ys, gradYs);

        // Ops between the xs and the ys, and the number of gradients each still waits for.
        HashSet<GraphNode> fromOps = [.. xs.Select(x => x.Node)];
        HashSet<GraphNode> reached = MarkReachedOps(fromOps);
        var between = new HashSet<GraphNode>();
        var reachableToOps = new HashSet<GraphNode>();
        var walk = new Queue<GraphNode>();
        foreach (GraphTensor y in ys)
        {
            if (reached.Contains(y.Node))
            {
                reachableToOps.Add(y.Node);
            }

            walk.Enqueue(y.Node);
        }

        var reachedLeft = new HashSet<GraphNode>(reached);
        while (walk.Count > 0)
        {
            GraphNode op = walk.Dequeue();
            if (reachedLeft.Remove(op))
            {
                between.Add(op);
                foreach (GraphTensor input in op.Inputs)
                {
                    walk.Enqueue(input.Node);
                }
            }
        }

        var pending = new Dictionary<GraphNode, int>();
        foreach (GraphNode op in between)
        {
            foreach (GraphTensor input in op.Inputs)
            {
                if (between.Contains(input.Node))
                {
                    pending[input.Node] = pending.GetValueOrDefault(input.Node) + 1;
                }
            }
        }

        var grads = new Dictionary<GraphNode, List<GraphTensor>[]>();
        var aggregated = new Dictionary<GraphNode, GraphTensor?[]>();
        for (int i = 0; i < ys.Count; i++)
        {
            SetGrad(grads, ys[i], gradYsResolved[i]);
        }

        var queue = new Queue<GraphNode>();
        var queued = new HashSet<GraphNode>();
        foreach (GraphTensor y in ys)
        {
            if (pending.GetValueOrDefault(y.Node) == 0 && reachableToOps.Contains(y.Node) && queued.Add(y.Node))
            {
                queue.Enqueue(y.Node);
            }
        }

        // An x whose inputs are not between the xs and the ys: its gradient function is not called.
        var stopOps = new HashSet<GraphNode>(fromOps.Where(op => op.Inputs.All(t => pending.GetValueOrDefault(t.Node) <= 0)));

        var emitter = new GraphOpEmitter(this);
        while (queue.Count > 0)
        {
            GraphNode op = queue.Dequeue();
            GraphTensor?[] inGrads;
            using (ColocateWith(op))
            {
                GraphTensor?[] outGrads = AggregatedGrads(grads, aggregated, op);
                bool hasOutGrads = outGrads.Any(g => g is not null);
                IGradientFunction? gradFn = null;
                if (hasOutGrads && !stopOps.Contains(op))
                {
                    if (!GradientRegistry.TryGet(op.OpType, out gradFn) && !PlainOpGradients.TryGet(op.OpType, out gradFn))
                    {
                        throw new KeyNotFoundException(TfMessages.NoGradientDefined(op.Name, op.OpType));
                    }
                }

                if (gradFn is not null && hasOutGrads)
                {
                    using (OpenNameScope(op.Name + "_grad"))
                    {
                        var forward = new ForwardOp<GraphTensor>(op.OpType, op.Name, op.Inputs, op.Outputs, ForwardAttrs(op.Def));
                        IReadOnlyList<GraphTensor?> result = gradFn.Gradient(emitter, forward, outGrads);
                        if (result.Count != op.Inputs.Count)
                        {
                            throw new InvalidOperationException(
                                $"Num gradients {result.Count} generated for op {op.Name} do not match num inputs {op.Inputs.Count}");
                        }

                        inGrads = [.. result];
                    }
                }
                else
                {
                    inGrads = new GraphTensor?[op.Inputs.Count];
                }
            }

            for (int i = 0; i < op.Inputs.Count; i++)
            {
                if (inGrads[i] is { } g)
                {
                    GraphTensor input = op.Inputs[i];
                    try
                    {
                        g.Shape = ShapeInference.Merge(g.Shape, input.Shape);
                    }
                    catch (ShapeInferenceException)
                    {
                        throw new ArgumentException(
                            $"Incompatible shapes between op input and calculated input gradient. Forward operation: {op.Name}. Input index: {i}. " +
                            $"Original input shape: {input.Shape}. Calculated input gradient shape: {g.Shape}");
                    }

                    SetGrad(grads, input, g);
                }
            }

            foreach (GraphTensor input in op.Inputs)
            {
                if (!pending.TryGetValue(input.Node, out int count))
                {
                    continue;
                }

                pending[input.Node] = --count;
                if (count == 0 && queued.Add(input.Node))
                {
                    queue.Enqueue(input.Node);
                }
            }
        }

        var result2 = new GraphTensor?[xs.Count];
        for (int i = 0; i < xs.Count; i++)
        {
            GraphTensor x = xs[i];
            if (aggregated.TryGetValue(x.Node, out GraphTensor?[]? agg))
            {
                result2[i] = agg[x.Index];
            }
            else if (grads.ContainsKey(x.Node))
            {
                using (ColocateWith(x.Node))
                {
                    result2[i] = AggregatedGrads(grads, aggregated, x.Node)[x.Index];
                }
            }
        }

        return result2;
    }

    private GraphTensor[] DefaultGradYs(IReadOnlyList<GraphTensor> ys, IReadOnlyList<GraphTensor?>? gradYs)
    {
        var result = new GraphTensor[ys.Count];
        for (int i = 0; i < ys.Count; i++)
        {
            GraphTensor y = ys[i];
            GraphTensor? given = gradYs?[i];
            using (ColocateWith(y.Node))
            {
                if (given is null)
                {
                    // array_ops.ones(array_ops.shape(y), name="grad_ys_i"): the shape first — in graph
                    // mode array_ops.shape is an int32 Const of the static shape when that is fully
                    // defined, else a Shape op; both named Shape — then in the grad_ys_i scope a
                    // Const 1 and the Fill named after the scope.
                    long[] dims = y.Shape.Dims.ToArray();
                    GraphTensor shape = y.Shape.IsFullyDefined && dims.All(d => d <= int.MaxValue)
                        ? AddOperation("Const", [], new Dictionary<string, object>
                        {
                            ["dtype"] = DataType.DtInt32,
                            ["value"] = new AttrValue { Tensor = GraphProtos.Int32Vector(dims) },
                        }, "Shape")[0]
                        : AddOperation("Shape", [y], new Dictionary<string, object> { ["out_type"] = DataType.DtInt32 })[0];
                    using NameScope ones = OpenNameScope($"grad_ys_{i}");
                    GraphTensor one = Constant(1f);
                    result[i] = AddOperation("Fill", [shape, one], null, ones.Name)[0];
                }
                else
                {
                    if (given.DType != DataType.DtFloat)
                    {
                        throw new ArgumentException($"grad_ys[{i}] ({given.Name}) must be float like y ({y.Name}).", nameof(gradYs));
                    }

                    result[i] = AddOperation("Identity", [given], null, $"grad_ys_{i}")[0];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The ops reachable from <paramref name="fromOps"/> as <c>_MarkReachedOps</c> walks them:
    /// only through outputs that can carry a gradient (<c>backprop_util.IsTrainable</c>), so an
    /// int32 edge (a <c>Shape</c> feeding a <c>Fill</c>) does not connect.
    /// </summary>
    private HashSet<GraphNode> MarkReachedOps(HashSet<GraphNode> fromOps)
    {
        var consumers = new Dictionary<GraphNode, List<GraphNode>>();
        foreach (GraphNode n in _nodes)
        {
            foreach (GraphTensor t in n.Inputs)
            {
                if (!IsTrainable(t.DType))
                {
                    continue;
                }

                if (!consumers.TryGetValue(t.Node, out List<GraphNode>? list))
                {
                    consumers[t.Node] = list = [];
                }

                list.Add(n);
            }
        }

        var reached = new HashSet<GraphNode>();
        var stack = new Stack<GraphNode>(fromOps);
        while (stack.Count > 0)
        {
            GraphNode op = stack.Pop();
            if (reached.Add(op) && consumers.TryGetValue(op, out List<GraphNode>? next))
            {
                foreach (GraphNode c in next)
                {
                    stack.Push(c);
                }
            }
        }

        return reached;
    }

    /// <summary>TensorFlow's trainable dtypes: float16/32/64, bfloat16, complex64/128, resource, variant.</summary>
    private static bool IsTrainable(DataType t) =>
        t is DataType.DtFloat or DataType.DtDouble or DataType.DtComplex64 or (DataType)14 or (DataType)18 or (DataType)19 or (DataType)20 or (DataType)21;

    private static void SetGrad(Dictionary<GraphNode, List<GraphTensor>[]> grads, GraphTensor t, GraphTensor grad)
    {
        if (!grads.TryGetValue(t.Node, out List<GraphTensor>[]? perOutput))
        {
            perOutput = new List<GraphTensor>[t.Node.Outputs.Count];
            for (int i = 0; i < perOutput.Length; i++)
            {
                perOutput[i] = [];
            }

            grads[t.Node] = perOutput;
        }

        perOutput[t.Index].Add(grad);
    }

    /// <summary>One gradient per output of <paramref name="op"/>: none, the single one, or their <c>AddN</c> (TensorFlow's <c>_MultiDeviceAddN</c> on one device).</summary>
    private GraphTensor?[] AggregatedGrads(Dictionary<GraphNode, List<GraphTensor>[]> grads, Dictionary<GraphNode, GraphTensor?[]> aggregated, GraphNode op)
    {
        var result = new GraphTensor?[op.Outputs.Count];
        if (grads.TryGetValue(op, out List<GraphTensor>[]? perOutput))
        {
            for (int i = 0; i < result.Length; i++)
            {
                List<GraphTensor> list = perOutput[i];
                if (list.Count == 1)
                {
                    result[i] = list[0];
                }
                else if (list.Count > 1)
                {
                    using (ColocateWith(list[0].Node, ignoreExisting: true))
                    {
                        result[i] = AddOperation("AddN", list, null)[0];
                    }
                }
            }
        }

        aggregated[op] = result;
        return result;
    }

    /// <summary>The forward op's attrs as the shared gradient functions read them.</summary>
    private static Dictionary<string, object> ForwardAttrs(NodeDef def)
    {
        var d = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, AttrValue> a in def.Attr)
        {
            object? v = a.Value.ValueCase switch
            {
                AttrValue.ValueOneofCase.I => a.Value.I,
                AttrValue.ValueOneofCase.F => a.Value.F,
                AttrValue.ValueOneofCase.B => a.Value.B,
                AttrValue.ValueOneofCase.Type => a.Value.Type,
                AttrValue.ValueOneofCase.S => a.Value.S.ToStringUtf8(),
                _ => a.Value,
            };
            d[a.Key] = v;
        }

        return d;
    }

    /// <summary>
    /// TensorFlow's gradients of the plain ops the builder makes, used when the shared
    /// <see cref="GradientRegistry"/> has no entry for them (graph mode does not register them
    /// globally): <c>Identity</c> and <c>AddN</c> pass the gradient through to every input
    /// (<c>_IdGrad</c>, <c>_AddNGrad</c>), <c>Shape</c> is not differentiable. <c>Fill</c> has no
    /// gradient here (a path through it raises TensorFlow's no-gradient text).
    /// </summary>
    private sealed class PlainOpGradients : IGradientFunction
    {
        private static readonly PlainOpGradients Instance = new();

        /// <summary>Looks up a fallback; true with a null function for a not-differentiable op.</summary>
        public static bool TryGet(string opType, out IGradientFunction? gradient)
        {
            gradient = opType is "Identity" or "AddN" ? Instance : null;
            return gradient is not null || opType == "Shape";
        }

        public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
            where TTensor : class =>
            Enumerable.Repeat(outputGradients[0], op.Inputs.Count).ToArray();
    }

    /// <summary>Graph mode's <see cref="IOpEmitter{TTensor}"/>: adds a node in the current name scope (named after its op type).</summary>
    private sealed class GraphOpEmitter(GraphBuilder graph) : IOpEmitter<GraphTensor>
    {
        public IReadOnlyList<GraphTensor> Emit(string opType, IReadOnlyList<GraphTensor> inputs, IReadOnlyDictionary<string, object> attrs) =>
            graph.AddOperation(opType, inputs, attrs);
    }
}
