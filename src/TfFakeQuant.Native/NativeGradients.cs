using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// Symbolic gradients on a real <c>TF_Graph</c> that understand the FakeQuant ops, which
/// TensorFlow's C++ gradient registry (<c>TF_AddGradients</c>, what every non-Python binding
/// uses) does not know.
/// </summary>
/// <remarks>
/// <para>When no FakeQuant node lies between <c>xs</c> and <c>ys</c>, the call is exactly
/// <c>TF_AddGradientsWithPrefix</c>. Otherwise the walk is this library's own: the subgraph of
/// ops that are reachable backwards from <c>ys</c> and forwards from <c>xs</c> is visited in
/// reverse topological order; each op's output gradients are summed (<c>AddN</c>) when several
/// consumers contribute; FakeQuant forward ops get the gradient nodes of the shared gradient
/// definitions (<see cref="GradientRegistry"/> / <see cref="FakeQuantGradient"/>, as TensorFlow
/// Python), named like Python's (<c>gradients/fq_grad/FakeQuantWithMinMaxVarsPerChannelGradient</c>);
/// the three FakeQuant gradient ops are not differentiable (no gradient flows through them, no
/// error); every other op is handed to <c>TF_AddGradientsWithPrefix</c> for that single op
/// (<c>y</c> = its outputs that carry gradients, <c>x</c> = its distinct inputs on the path).</para>
/// <para>Ops without a C++ gradient fail as TensorFlow fails (<see cref="TensorFlowException"/>).</para>
/// </remarks>
public static class NativeGradients
{
    private static readonly object Gate = new();

    /// <summary>
    /// Adds the gradients of <c>sum(ys · dys)</c> with respect to <paramref name="xs"/>
    /// (TensorFlow's <c>tf.gradients(ys, xs, grad_ys=dys)</c>).
    /// </summary>
    /// <param name="graph">The graph holding all tensors.</param>
    /// <param name="ys">Outputs to differentiate.</param>
    /// <param name="xs">Tensors to differentiate with respect to.</param>
    /// <param name="dys">Upstream gradients, one per y (null: ones, TensorFlow's <c>OnesLike</c>).</param>
    /// <param name="prefix">Name scope of the new nodes (made unique: <c>gradients</c>, <c>gradients_1</c>, ...).</param>
    /// <returns>One gradient per x; null where no gradient flows (TensorFlow Python's <c>None</c>).</returns>
    /// <exception cref="ShapeInferenceException">A gradient node failed this library's shape checks.</exception>
    /// <exception cref="TensorFlowException">TensorFlow failed (for example an op without a C++ gradient).</exception>
    public static IReadOnlyList<TfOutput?> AddGradients(NativeGraph graph, IReadOnlyList<TfOutput> ys, IReadOnlyList<TfOutput> xs,
        IReadOnlyList<TfOutput>? dys = null, string prefix = "gradients")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(ys);
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (dys is not null && dys.Count != ys.Count)
        {
            throw new ArgumentException($"dys has {dys.Count} entries for {ys.Count} ys.", nameof(dys));
        }

        GradientRegistry.RegisterFakeQuantGradients();
        RegisterAxisGradient();
        lock (Gate)
        {
            string scope = UniqueScope(graph, prefix);
            HashSet<nint> between = Between(ys, xs);
            if (!between.Any(op => RunGuard.IsGuarded(RunGuard.OpType(op))))
            {
                return AddTensorFlowGradients(graph, scope, ys, xs, dys);
            }

            return Walk(graph, scope, between, ys, xs, dys);
        }
    }

    /// <summary>
    /// Raw-handle entry point (TensorFlow.NET: <c>graph.Handle</c>, <c>t._as_tf_output()</c>):
    /// <see cref="AddGradients(NativeGraph, IReadOnlyList{TfOutput}, IReadOnlyList{TfOutput}, IReadOnlyList{TfOutput}?, string)"/>
    /// on a caller's <c>TF_Graph*</c> with tensors as (<c>TF_Operation*</c>, index) pairs.
    /// </summary>
    /// <param name="graph">The caller's <c>TF_Graph*</c>.</param>
    /// <param name="ys">Outputs to differentiate.</param>
    /// <param name="xs">Tensors to differentiate with respect to.</param>
    /// <param name="dys">Upstream gradients (null: ones).</param>
    /// <returns>One (<c>TF_Operation*</c>, index) per x; (<see cref="IntPtr.Zero"/>, -1) where no gradient flows.</returns>
    /// <exception cref="TensorFlowException">TensorFlow failed.</exception>
    public static (IntPtr Operation, int Index)[] AddGradients(IntPtr graph, IReadOnlyList<(IntPtr Operation, int Index)> ys,
        IReadOnlyList<(IntPtr Operation, int Index)> xs, IReadOnlyList<(IntPtr Operation, int Index)>? dys = null)
    {
        ArgumentNullException.ThrowIfNull(ys);
        ArgumentNullException.ThrowIfNull(xs);
        using NativeGraph g = NativeGraph.FromHandle(graph);
        IReadOnlyList<TfOutput?> result = AddGradients(g, ys.Select(y => g.Output(y.Operation, y.Index)).ToArray(),
            xs.Select(x => g.Output(x.Operation, x.Index)).ToArray(), dys?.Select(d => g.Output(d.Operation, d.Index)).ToArray());
        return result.Select(r => r is null ? (IntPtr.Zero, -1) : (r.OperationHandle, r.Index)).ToArray();
    }

    /// <summary>Registers the any-axis op's gradient in the shared registry (idempotent).</summary>
    internal static void RegisterAxisGradient()
    {
        if (!GradientRegistry.TryGet(AxisOps.ForwardName, out _))
        {
            try
            {
                GradientRegistry.Register(AxisOps.ForwardName, AxisGradient.Instance);
            }
            catch (InvalidOperationException)
            {
                // Registered concurrently (by us or a caller): theirs stands.
            }
        }

        if (!GradientRegistry.TryGet(AxisOps.GradientName, out _))
        {
            try
            {
                GradientRegistry.RegisterNotDifferentiable(AxisOps.GradientName);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static unsafe TfOutput?[] AddTensorFlowGradients(NativeGraph graph, string scope, IReadOnlyList<TfOutput> ys,
        IReadOnlyList<TfOutput> xs, IReadOnlyList<TfOutput?>? dys)
    {
        TF_Output[] y = ys.Select(o => o.Raw).ToArray();
        TF_Output[] x = xs.Select(o => o.Raw).ToArray();
        TF_Output[]? dx = dys?.Select(o => o!.Raw).ToArray();
        var dy = new TF_Output[x.Length];
        using TfSafeHandle.Lease g = graph.Borrow();
        using var status = new TfStatus();
        fixed (byte* p = Utf8.Z(scope))
        fixed (TF_Output* py = y)
        fixed (TF_Output* px = x)
        fixed (TF_Output* pdx = dx)
        fixed (TF_Output* pdy = dy)
        {
            GradientApi.TF_AddGradientsWithPrefix(g.Pointer, p, py, y.Length, px, x.Length, dx is null ? null : pdx, status.Pointer, pdy);
        }

        status.ThrowIfError("TF_AddGradientsWithPrefix");
        return dy.Select(d => d.Oper == 0 ? null : new TfOutput(graph, d.Oper, d.Index)).ToArray();
    }

    private static TfOutput?[] Walk(NativeGraph graph, string scope, HashSet<nint> between, IReadOnlyList<TfOutput> ys,
        IReadOnlyList<TfOutput> xs, IReadOnlyList<TfOutput>? dys)
    {
        var pending = new Dictionary<(nint, int), List<TfOutput>>();
        void Add((nint, int) key, TfOutput g)
        {
            if (!pending.TryGetValue(key, out List<TfOutput>? list))
            {
                pending[key] = list = [];
            }

            list.Add(g);
        }

        for (int i = 0; i < ys.Count; i++)
        {
            TfOutput seed = dys is null
                ? graph.AddOperation("OnesLike", $"{scope}/OnesLike", [ys[i]], Empty)[0]
                : graph.AddOperation("Identity", $"{scope}/grad_ys_{i}", [dys[i]], Empty)[0];
            Add((ys[i].Operation, ys[i].Index), seed);
        }

        var xKeys = xs.Select(x => (x.Operation, x.Index)).ToHashSet();
        foreach (nint op in ReverseTopological(between))
        {
            string type = RunGuard.OpType(op);
            string name = RunGuard.OpName(op);
            int numOutputs = GraphApi.TF_OperationNumOutputs(op);
            var outGrads = new TfOutput?[numOutputs];
            for (int k = 0; k < numOutputs; k++)
            {
                outGrads[k] = Sum(graph, scope, pending, (op, k));
            }

            if (outGrads.All(g => g is null))
            {
                continue;
            }

            TF_Output[] inputs = RunGuard.DataInputs(op);
            // Inputs whose gradient matters: produced inside the subgraph, or one of the xs.
            bool OnPath(TF_Output i) => between.Contains(i.Oper) || xKeys.Contains((i.Oper, i.Index));
            if (RunGuard.IsGuarded(type))
            {
                if (!GradientRegistry.TryGet(type, out IGradientFunction? function) || function is null)
                {
                    continue; // the gradient ops: not differentiable (TensorFlow Python: None, no error)
                }

                var emitter = new GraphEmitter(graph, $"{scope}/{name}_grad");
                TfOutput[] opInputs = inputs.Select(i => new TfOutput(graph, i.Oper, i.Index)).ToArray();
                TfOutput[] opOutputs = Enumerable.Range(0, numOutputs).Select(k => new TfOutput(graph, op, k)).ToArray();
                var forward = new ForwardOp<TfOutput>(type, name, opInputs, opOutputs, ReadAttrs(op, type));
                IReadOnlyList<TfOutput?> inGrads = function.Gradient(emitter, forward, outGrads);
                for (int i = 0; i < inputs.Length && i < inGrads.Count; i++)
                {
                    if (inGrads[i] is { } g && OnPath(inputs[i]))
                    {
                        Add((inputs[i].Oper, inputs[i].Index), g);
                    }
                }

                continue;
            }

            // Any other op: TensorFlow's own C++ gradient for this single op.
            TF_Output[] distinct = inputs.Where(OnPath).Distinct().ToArray();
            if (distinct.Length == 0)
            {
                continue;
            }

            int[] withGrad = Enumerable.Range(0, numOutputs).Where(k => outGrads[k] is not null).ToArray();
            TfOutput?[] grads = AddTensorFlowGradients(graph, UniqueScope(graph, $"{scope}/{name}_grad"),
                withGrad.Select(k => new TfOutput(graph, op, k)).ToArray(),
                distinct.Select(i => new TfOutput(graph, i.Oper, i.Index)).ToArray(),
                withGrad.Select(k => outGrads[k]).ToArray());
            for (int i = 0; i < distinct.Length; i++)
            {
                if (grads[i] is { } g)
                {
                    Add((distinct[i].Oper, distinct[i].Index), g);
                }
            }
        }

        return xs.Select(x => Sum(graph, scope, pending, (x.Operation, x.Index))).ToArray();
    }

    private static readonly Dictionary<string, object> Empty = new(StringComparer.Ordinal);

    /// <summary>The single gradient of one tensor: the only contribution, or their AddN.</summary>
    private static TfOutput? Sum(NativeGraph graph, string scope, Dictionary<(nint, int), List<TfOutput>> pending, (nint, int) key)
    {
        if (!pending.TryGetValue(key, out List<TfOutput>? list) || list.Count == 0)
        {
            return null;
        }

        if (list.Count == 1)
        {
            return list[0];
        }

        TfOutput sum = graph.AddOperation("AddN", $"{scope}/AddN", [], new Dictionary<string, object>(StringComparer.Ordinal), inputList: list)[0];
        pending[key] = [sum];
        return sum;
    }

    private static Dictionary<string, object> ReadAttrs(nint op, string type)
    {
        if (AxisOps.IsAxisOp(type))
        {
            return new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["num_bits"] = RunGuard.ReadInt(op, "num_bits"),
                ["narrow_range"] = RunGuard.ReadBool(op, "narrow_range"),
                ["axis"] = RunGuard.ReadInt(op, "axis"),
            };
        }

        FakeQuantOpDef def = FakeQuantCatalog.Get(type);
        return RunGuard.ReadAttrs(op, def).ToDictionary(def);
    }

    /// <summary>Ops reachable backwards from ys (data inputs) that are reachable forwards from xs.</summary>
    private static HashSet<nint> Between(IReadOnlyList<TfOutput> ys, IReadOnlyList<TfOutput> xs)
    {
        var xKeys = xs.Select(x => (x.Operation, x.Index)).ToHashSet();
        var memo = new Dictionary<nint, bool>();
        var entered = new HashSet<nint>(); // ops being expanded: a back edge (control-flow loop) is not followed again
        var result = new HashSet<nint>();

        // Iterative DFS: an op is on a path when one of its data inputs is an x or comes from an op on a path.
        foreach (TfOutput y in ys)
        {
            var stack = new Stack<(nint Op, bool Expanded)>();
            stack.Push((y.Operation, false));
            while (stack.Count > 0)
            {
                (nint op, bool expanded) = stack.Pop();
                if (memo.ContainsKey(op))
                {
                    continue;
                }

                TF_Output[] inputs = RunGuard.DataInputs(op);
                if (!expanded)
                {
                    if (!entered.Add(op))
                    {
                        continue;
                    }

                    stack.Push((op, true));
                    foreach (TF_Output i in inputs)
                    {
                        if (!memo.ContainsKey(i.Oper) && !entered.Contains(i.Oper))
                        {
                            stack.Push((i.Oper, false));
                        }
                    }

                    continue;
                }

                bool reached = inputs.Any(i => xKeys.Contains((i.Oper, i.Index)) || (memo.TryGetValue(i.Oper, out bool r) && r));
                memo[op] = reached;
                if (reached)
                {
                    result.Add(op);
                }
            }
        }

        return result;
    }

    /// <summary>The subgraph's ops, consumers before producers.</summary>
    private static List<nint> ReverseTopological(HashSet<nint> ops)
    {
        var order = new List<nint>();
        var done = new HashSet<nint>();
        var entered = new HashSet<nint>();
        foreach (nint root in ops)
        {
            var stack = new Stack<(nint Op, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                (nint op, bool expanded) = stack.Pop();
                if (done.Contains(op))
                {
                    continue;
                }

                if (expanded)
                {
                    done.Add(op);
                    order.Add(op); // post-order: producers first
                    continue;
                }

                if (!entered.Add(op))
                {
                    continue;
                }

                stack.Push((op, true));
                foreach (TF_Output i in RunGuard.DataInputs(op))
                {
                    if (ops.Contains(i.Oper) && !done.Contains(i.Oper) && !entered.Contains(i.Oper))
                    {
                        stack.Push((i.Oper, false));
                    }
                }
            }
        }

        order.Reverse();
        return order;
    }

    /// <summary>A scope name no node uses: <paramref name="prefix"/>, <c>prefix_1</c>, ... (TF_AddGradientsWithPrefix's rule).</summary>
    private static string UniqueScope(NativeGraph graph, string prefix)
    {
        IReadOnlyList<string> names = graph.OperationNames();
        bool Taken(string p) => names.Any(n => n == p || n.StartsWith(p + "/", StringComparison.Ordinal));
        if (!Taken(prefix))
        {
            return prefix;
        }

        for (int i = 1; ; i++)
        {
            string candidate = $"{prefix}_{i}";
            if (!Taken(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>The native bridge's <see cref="IOpEmitter{TTensor}"/>: adds TF_Operations under a name scope.</summary>
    private sealed class GraphEmitter(NativeGraph graph, string scope) : IOpEmitter<TfOutput>
    {
        public IReadOnlyList<TfOutput> Emit(string opType, IReadOnlyList<TfOutput> inputs, IReadOnlyDictionary<string, object> attrs)
        {
            string name = $"{scope}/{opType}";
            if (FakeQuantCatalog.TryGet(opType, out FakeQuantOpDef? op))
            {
                return graph.AddFakeQuant(op, inputs, FakeQuantAttrs.FromDictionary(attrs), name);
            }

            if (opType == AxisOps.GradientName)
            {
                return NativeKernels.AddAxisOp(graph, gradient: true, inputs, (long)attrs["axis"], (long)attrs["num_bits"], (bool)attrs["narrow_range"], name);
            }

            return graph.AddOperation(opType, name, inputs, attrs);
        }
    }

    /// <summary>The any-axis op's gradient: its gradient op on (grad, inputs, min, max) with the same attrs.</summary>
    private sealed class AxisGradient : IGradientFunction
    {
        public static AxisGradient Instance { get; } = new();

        public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
            where TTensor : class
        {
            TTensor grad = outputGradients[0] ?? throw new ArgumentException("The forward output's gradient is missing.", nameof(outputGradients));
            var attrs = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["num_bits"] = op.Attrs["num_bits"],
                ["narrow_range"] = op.Attrs["narrow_range"],
                ["axis"] = op.Attrs["axis"],
            };
            return [.. ops.Emit(AxisOps.GradientName, [grad, .. op.Inputs], attrs)];
        }
    }
}
