using System.Runtime.InteropServices;
using TfFakeQuant.Kernels;
using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>What <see cref="NativeKernels.Register"/> did.</summary>
/// <param name="ManagedKernels">Whether the six <c>managed</c>-labelled CPU kernels are registered.</param>
/// <param name="AxisOps">Whether the two any-axis ops (op definitions and CPU kernels) are registered.</param>
/// <param name="Details">What was registered, skipped, and why.</param>
public sealed record KernelRegistration(bool ManagedKernels, bool AxisOps, string Details);

/// <summary>
/// Registers this library's span kernels inside the TensorFlow runtime through the kernel C API
/// (<c>c/kernels.h</c>, <c>c/ops.h</c>), as callbacks (<c>[UnmanagedCallersOnly]</c> function
/// pointers): (a) CPU kernels for TensorFlow's six FakeQuant ops under the kernel label
/// <see cref="ManagedLabel"/> — a node carrying <c>_kernel: "managed"</c> runs our kernel, every
/// other node keeps TensorFlow's; (b) the ops <see cref="AxisOps.ForwardName"/> and
/// <see cref="AxisOps.GradientName"/> (per-channel along any axis) with shape functions and kernels.
/// </summary>
/// <remarks>
/// Registration happens once per process (TensorFlow aborts the process when an op is defined
/// twice, and two kernels under one label break every session that contains such a node): behind
/// a lock, marked in the process environment (<c>TFFQ_NATIVE_KERNELS_REGISTERED</c>) so that a
/// second copy of this assembly in the same process does not register again, and after checking
/// whether the ops already exist. Kernel failures (our checks, with TensorFlow's texts) are
/// reported through <c>TF_OpKernelContext_Failure</c>; no exception crosses the native boundary.
/// </remarks>
public static unsafe class NativeKernels
{
    /// <summary>The kernel label of the managed kernels of TensorFlow's own ops (the node attr <c>_kernel</c>).</summary>
    public const string ManagedLabel = "managed";

    /// <summary>Process-environment marker set after registration.</summary>
    public const string RegisteredMarker = "TFFQ_NATIVE_KERNELS_REGISTERED";

    private static readonly object Gate = new();
    private static KernelRegistration? _result;
    private static long _computeCalls;

    /// <summary>How many times TensorFlow has called one of our kernels' compute callbacks in this process (shows what ran where).</summary>
    public static long ComputeCalls => Interlocked.Read(ref _computeCalls);

    /// <summary>The result of the registration in this process, or null before <see cref="Register"/>.</summary>
    public static KernelRegistration? Registration => _result;

    /// <summary>Registers the kernels and ops once per process; later calls return the first result.</summary>
    /// <returns>What was registered.</returns>
    /// <exception cref="TensorFlowNotAvailableException">No TensorFlow C library was found.</exception>
    /// <exception cref="NotSupportedException">The library lacks the kernel / op-definition C API (the message names the missing symbols).</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected a registration.</exception>
    public static KernelRegistration Register()
    {
        lock (Gate)
        {
            if (_result is not null)
            {
                return _result;
            }

            TensorFlowRuntime.EnsureLoaded();
            if (!TensorFlowRuntime.HasKernelApi(out IReadOnlyList<string> missing))
            {
                throw new NotSupportedException(
                    $"The TensorFlow C library at {TensorFlowRuntime.LibraryPath} lacks the kernel / op-definition C API needed to register kernels: {string.Join(", ", missing)}.");
            }

            if (Environment.GetEnvironmentVariable(RegisteredMarker) is { Length: > 0 } earlier)
            {
                _result = new KernelRegistration(MarkerHas("managed"), MarkerHas("axis"),
                    $"Already registered in this process by another copy of TfFakeQuant.Native ({earlier}); not registered again.");
                return _result;
            }

            var details = new List<string>();
            bool axis = false, managed = false;
            try
            {
                if (OpExists(AxisOps.ForwardName) || OpExists(AxisOps.GradientName))
                {
                    details.Add($"{AxisOps.ForwardName} already exists in TensorFlow's op registry; neither the op nor its kernels were registered again.");
                }
                else
                {
                    RegisterAxisOp(gradient: false);
                    RegisterAxisOp(gradient: true);
                    RegisterKernel(AxisOps.ForwardName, &CreateAxisForward, label: null);
                    RegisterKernel(AxisOps.GradientName, &CreateAxisGradient, label: null);
                    axis = true;
                    details.Add($"Registered ops {AxisOps.ForwardName} and {AxisOps.GradientName} with CPU kernels.");
                }

                if (!TensorFlowRuntime.HasKernelLabels)
                {
                    details.Add($"The library lacks {LibraryResolver.LabelSymbol} (TensorFlow before kernel labels in the C API); the '{ManagedLabel}' kernels were not registered.");
                }
                else
                {
                    RegisterKernel(FakeQuantCatalog.ArgsName, &CreateArgs, ManagedLabel);
                    RegisterKernel(FakeQuantCatalog.ArgsGradientName, &CreateArgsGradient, ManagedLabel);
                    RegisterKernel(FakeQuantCatalog.VarsName, &CreateVars, ManagedLabel);
                    RegisterKernel(FakeQuantCatalog.VarsGradientName, &CreateVarsGradient, ManagedLabel);
                    RegisterKernel(FakeQuantCatalog.VarsPerChannelName, &CreatePerChannel, ManagedLabel);
                    RegisterKernel(FakeQuantCatalog.VarsPerChannelGradientName, &CreatePerChannelGradient, ManagedLabel);
                    managed = true;
                    details.Add($"Registered CPU kernels labelled '{ManagedLabel}' for the six FakeQuant ops.");
                }
            }
            catch (Exception e)
            {
                // Never try again in this process: registering anything a second time aborts TensorFlow.
                _result = new KernelRegistration(managed, axis, string.Join(" ", details.Append($"Registration failed and will not be retried: {e.Message}")));
                Environment.SetEnvironmentVariable(RegisteredMarker, Marker(managed, axis));
                throw;
            }

            Environment.SetEnvironmentVariable(RegisteredMarker, Marker(managed, axis));
            NativeGradients.RegisterAxisGradient();
            _result = new KernelRegistration(managed, axis, string.Join(" ", details));
            return _result;
        }
    }

    /// <summary>Whether the process marker lists <paramref name="token"/> (<c>managed</c> or <c>axis</c>).</summary>
    internal static bool MarkerHas(string token) =>
        Environment.GetEnvironmentVariable(RegisteredMarker) is { } marker && marker.Split(';')[0].Split(',').Contains(token, StringComparer.Ordinal);

    private static string Marker(bool managed, bool axis) =>
        string.Join(",", new[] { managed ? "managed" : "none", axis ? "axis" : "noaxis" }) + $";{TensorFlowRuntime.LibraryPath}";

    /// <summary>
    /// Adds <see cref="AxisOps.ForwardName"/> to <paramref name="graph"/>: per-channel fake
    /// quantization along <paramref name="axis"/> (negative counts from the end). Checked first
    /// with this library's shape functions.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="inputs">Rank ≥ 1.</param>
    /// <param name="min">Shape <c>[inputs.shape[axis]]</c>.</param>
    /// <param name="max">Same shape as <paramref name="min"/>.</param>
    /// <param name="axis">The channel axis.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Register"/> has not registered the axis ops.</exception>
    /// <exception cref="ShapeInferenceException">A shape check failed.</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node.</exception>
    public static TfOutput AddPerChannelAxis(NativeGraph graph, TfOutput inputs, TfOutput min, TfOutput max, long axis,
        long numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false, string? name = null) =>
        AddAxisOp(graph, gradient: false, [inputs, min, max], axis, numBits, narrowRange, name)[0];

    /// <summary>Adds <see cref="AxisOps.GradientName"/> (see <see cref="AddPerChannelAxis"/>).</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="gradients">Upstream gradients, shape of <paramref name="inputs"/>.</param>
    /// <param name="inputs">Rank ≥ 1.</param>
    /// <param name="min">Shape <c>[inputs.shape[axis]]</c>.</param>
    /// <param name="max">Same shape as <paramref name="min"/>.</param>
    /// <param name="axis">The channel axis.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name.</param>
    /// <returns>backprops_wrt_input, backprop_wrt_min, backprop_wrt_max.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Register"/> has not registered the axis ops.</exception>
    /// <exception cref="ShapeInferenceException">A shape check failed.</exception>
    /// <exception cref="TensorFlowException">TensorFlow rejected the node.</exception>
    public static IReadOnlyList<TfOutput> AddPerChannelAxisGradient(NativeGraph graph, TfOutput gradients, TfOutput inputs, TfOutput min, TfOutput max,
        long axis, long numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false, string? name = null) =>
        AddAxisOp(graph, gradient: true, [gradients, inputs, min, max], axis, numBits, narrowRange, name);

    internal static IReadOnlyList<TfOutput> AddAxisOp(NativeGraph graph, bool gradient, IReadOnlyList<TfOutput> inputs, long axis, long numBits,
        bool narrowRange, string? name)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (_result is not { AxisOps: true } && !MarkerHas("axis"))
        {
            throw new InvalidOperationException($"The op {(gradient ? AxisOps.GradientName : AxisOps.ForwardName)} is not registered; call NativeKernels.Register() first.");
        }

        AxisOps.InferShapes(gradient, axis, inputs.Select(graph.GetStaticShape).ToArray());
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal) { ["num_bits"] = numBits, ["narrow_range"] = narrowRange, ["axis"] = axis };
        string type = gradient ? AxisOps.GradientName : AxisOps.ForwardName;
        return graph.AddOperation(type, name ?? type, inputs, attrs);
    }

    /// <summary>Whether TensorFlow's op registry has <paramref name="opName"/> (TF_GraphGetOpDef on a scratch graph).</summary>
    internal static bool OpExists(string opName)
    {
        using var graph = new NativeGraph();
        using TfSafeHandle.Lease g = graph.Borrow();
        using BufferHandle buffer = BufferHandle.Empty();
        using var status = new TfStatus();
        fixed (byte* n = Utf8.Z(opName))
        {
            GraphApi.TF_GraphGetOpDef(g.Pointer, n, buffer.Buffer, status.Pointer);
        }

        return status.Code == TfCode.Ok;
    }

    private static void RegisterAxisOp(bool gradient)
    {
        nint builder;
        fixed (byte* n = Utf8.Z(gradient ? AxisOps.GradientName : AxisOps.ForwardName))
        {
            builder = OpDefinitionApi.TF_NewOpDefinitionBuilder(n);
        }

        string[] inputs = gradient ? ["gradients: float", "inputs: float", "min: float", "max: float"] : ["inputs: float", "min: float", "max: float"];
        string[] outputs = gradient ? ["backprops_wrt_input: float", "backprop_wrt_min: float", "backprop_wrt_max: float"] : ["outputs: float"];
        foreach (string spec in inputs)
        {
            fixed (byte* s = Utf8.Z(spec))
            {
                OpDefinitionApi.TF_OpDefinitionBuilderAddInput(builder, s);
            }
        }

        foreach (string spec in outputs)
        {
            fixed (byte* s = Utf8.Z(spec))
            {
                OpDefinitionApi.TF_OpDefinitionBuilderAddOutput(builder, s);
            }
        }

        foreach (string spec in new[] { "num_bits: int = 8", "narrow_range: bool = false", "axis: int = -1" })
        {
            fixed (byte* s = Utf8.Z(spec))
            {
                OpDefinitionApi.TF_OpDefinitionBuilderAddAttr(builder, s);
            }
        }

        OpDefinitionApi.TF_OpDefinitionBuilderSetShapeInferenceFunction(builder, gradient ? &ShapeAxisGradient : &ShapeAxisForward);
        using var status = new TfStatus();
        OpDefinitionApi.TF_RegisterOpDefinition(builder, status.Pointer); // frees the builder either way
        status.ThrowIfError("TF_RegisterOpDefinition");
    }

    private static void RegisterKernel(string opName, delegate* unmanaged<nint, void*> create, string? label)
    {
        nint builder;
        fixed (byte* op = Utf8.Z(opName))
        fixed (byte* device = Utf8.Z("CPU"))
        {
            builder = KernelApi.TF_NewKernelBuilder(op, device, create, &Compute, &Delete);
        }

        if (label is not null)
        {
            fixed (byte* l = Utf8.Z(label))
            {
                KernelApi.TF_KernelBuilder_Label(builder, l);
            }
        }

        using var status = new TfStatus();
        fixed (byte* k = Utf8.Z($"TfFakeQuant_{opName}_CPU{(label is null ? string.Empty : "_" + label)}"))
        {
            KernelApi.TF_RegisterKernelBuilder(k, builder, status.Pointer); // takes ownership
        }

        status.ThrowIfError("TF_RegisterKernelBuilder");
    }

    // ---------------------------------------------------------------- kernel callbacks

    /// <summary>What a kernel instance remembers from construction.</summary>
    internal sealed class KernelState
    {
        public required FakeQuantOpKind? Kind { get; init; }
        public bool AxisGradient { get; init; }
        public required int NumBits { get; init; }
        public required bool NarrowRange { get; init; }
        public float Min { get; init; }
        public float Max { get; init; }
        public long Axis { get; init; }
        public required string NodeName { get; init; }
    }

    [UnmanagedCallersOnly] private static void* CreateArgs(nint ctx) => Create(ctx, FakeQuantOpKind.Args, false);
    [UnmanagedCallersOnly] private static void* CreateArgsGradient(nint ctx) => Create(ctx, FakeQuantOpKind.ArgsGradient, false);
    [UnmanagedCallersOnly] private static void* CreateVars(nint ctx) => Create(ctx, FakeQuantOpKind.Vars, false);
    [UnmanagedCallersOnly] private static void* CreateVarsGradient(nint ctx) => Create(ctx, FakeQuantOpKind.VarsGradient, false);
    [UnmanagedCallersOnly] private static void* CreatePerChannel(nint ctx) => Create(ctx, FakeQuantOpKind.VarsPerChannel, false);
    [UnmanagedCallersOnly] private static void* CreatePerChannelGradient(nint ctx) => Create(ctx, FakeQuantOpKind.VarsPerChannelGradient, false);
    [UnmanagedCallersOnly] private static void* CreateAxisForward(nint ctx) => Create(ctx, null, false);
    [UnmanagedCallersOnly] private static void* CreateAxisGradient(nint ctx) => Create(ctx, null, true);

    /// <summary>Kernel construction: reads the attrs and runs TensorFlow's construction checks (in TensorFlow's order).</summary>
    private static void* Create(nint ctx, FakeQuantOpKind? kind, bool axisGradient)
    {
        try
        {
            string nodeName = KernelApi.TF_OpKernelConstruction_GetName(ctx).ToString();
            float min = 0, max = 0;
            long axis = -1;
            if (kind is { } k && FakeQuantCatalog.Get(k).HasRangeAttrs)
            {
                // TensorFlow's Args kernels read and check min / max first (a valid num_bits stands in
                // so that only the range check can fire here).
                min = GetFloat(ctx, "min");
                max = GetFloat(ctx, "max");
                KernelChecks.CheckAttrs(FakeQuantCatalog.Get(k), new FakeQuantAttrs(FakeQuantCatalog.DefaultNumBits, false, min, max));
            }

            // As TensorFlow's kernels: num_bits read as an int32 (TensorFlow's own "out of range for an
            // int32" text when it does not fit), then the 2..16 check.
            int bits = KernelChecks.CheckNumBits(GetInt32(ctx, "num_bits"));
            bool narrow = GetBool(ctx, "narrow_range");
            if (kind is null)
            {
                axis = GetInt64(ctx, "axis");
            }

            var state = new KernelState { Kind = kind, AxisGradient = axisGradient, NumBits = bits, NarrowRange = narrow, Min = min, Max = max, Axis = axis, NodeName = nodeName };
            return (void*)GCHandle.ToIntPtr(GCHandle.Alloc(state));
        }
        catch (InvalidArgumentException e)
        {
            FailConstruction(ctx, TfCode.InvalidArgument, e.Message);
        }
        catch (TensorFlowException e)
        {
            FailConstruction(ctx, e.Code, e.Message);
        }
#pragma warning disable CA1031 // Nothing may cross the native boundary: report it to TensorFlow instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailConstruction(ctx, TfCode.Internal, $"TfFakeQuant kernel construction failed: {e}");
        }

        return null;
    }

    [UnmanagedCallersOnly]
    private static void Delete(void* kernel)
    {
        if (kernel is not null)
        {
            GCHandle.FromIntPtr((nint)kernel).Free();
        }
    }

    [UnmanagedCallersOnly]
    private static void Compute(void* kernel, nint ctx)
    {
        var inputs = new List<nint>(4);
        Interlocked.Increment(ref _computeCalls);
        try
        {
            var state = (KernelState)GCHandle.FromIntPtr((nint)kernel).Target!;
            using var status = new TfStatus();
            int n = KernelApi.TF_NumInputs(ctx);
            for (int i = 0; i < n; i++)
            {
                nint t;
                KernelApi.TF_GetInput(ctx, i, &t, status.Pointer);
                status.ThrowIfError("TF_GetInput");
                if (t == 0)
                {
                    // TensorFlow's kernels.cc can leave the status OK and the tensor null.
                    throw new TensorFlowException(TfCode.Internal, $"TF_GetInput returned no tensor for input {i}.", "TF_GetInput");
                }

                inputs.Add(t);
            }

            TensorShape[] shapes = inputs.Select(TensorMarshal.ShapeOf).ToArray();
            if (state.Kind is { } kind)
            {
                ComputeCatalogOp(ctx, state, FakeQuantCatalog.Get(kind), inputs, shapes);
            }
            else
            {
                ComputeAxisOp(ctx, state, inputs, shapes);
            }
        }
        catch (InvalidArgumentException e)
        {
            FailCompute(ctx, TfCode.InvalidArgument, e.Message);
        }
        catch (TensorFlowException e)
        {
            FailCompute(ctx, e.Code, e.Message);
        }
#pragma warning disable CA1031 // Nothing may cross the native boundary: report it to TensorFlow instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailCompute(ctx, TfCode.Internal, $"TfFakeQuant kernel failed: {e}");
        }
        finally
        {
            foreach (nint t in inputs)
            {
                TensorApi.TF_DeleteTensor(t);
            }
        }
    }

    private static void ComputeCatalogOp(nint ctx, KernelState s, FakeQuantOpDef op, List<nint> inputs, TensorShape[] shapes)
    {
        // TensorFlow's compute-time checks (rank-0 per-channel inputs give the rank text instead of an abort).
        KernelChecks.CheckShapes(op, shapes, s.NodeName);
        ReadOnlySpan<float> In(int i) => new(TensorApi.TF_TensorData(inputs[i]), checked((int)shapes[i].NumElements));
        switch (op.Kind)
        {
            case FakeQuantOpKind.Args:
                using (Output o = Output.Allocate(ctx, 0, shapes[0]))
                {
                    FakeQuant.Args(In(0), s.Min, s.Max, s.NumBits, s.NarrowRange, o.Span);
                }

                break;
            case FakeQuantOpKind.ArgsGradient:
                using (Output o = Output.Allocate(ctx, 0, shapes[0]))
                {
                    FakeQuant.ArgsGradient(In(0), In(1), s.Min, s.Max, s.NumBits, s.NarrowRange, o.Span);
                }

                break;
            case FakeQuantOpKind.Vars:
                using (Output o = Output.Allocate(ctx, 0, shapes[0]))
                {
                    FakeQuant.Vars(In(0), In(1)[0], In(2)[0], s.NumBits, s.NarrowRange, o.Span);
                }

                break;
            case FakeQuantOpKind.VarsGradient:
            {
                using Output dx = Output.Allocate(ctx, 0, shapes[0]);
                using Output dMin = Output.Allocate(ctx, 1, TensorShape.Scalar);
                using Output dMax = Output.Allocate(ctx, 2, TensorShape.Scalar);
                FakeQuant.VarsGradient(In(0), In(1), In(2)[0], In(3)[0], s.NumBits, s.NarrowRange, dx.Span, out float lo, out float hi);
                dMin.Span[0] = lo;
                dMax.Span[0] = hi;
                break;
            }

            case FakeQuantOpKind.VarsPerChannel:
                using (Output o = Output.Allocate(ctx, 0, shapes[0]))
                {
                    FakeQuant.PerChannel(In(0), In(1), In(2), s.NumBits, s.NarrowRange, o.Span);
                }

                break;
            case FakeQuantOpKind.VarsPerChannelGradient:
            {
                using Output dx = Output.Allocate(ctx, 0, shapes[0]);
                using Output dMin = Output.Allocate(ctx, 1, shapes[2]);
                using Output dMax = Output.Allocate(ctx, 2, shapes[2]);
                FakeQuant.PerChannelGradient(In(0), In(1), In(2), In(3), s.NumBits, s.NarrowRange, dx.Span, dMin.Span, dMax.Span);
                break;
            }

            default:
                throw new InvalidOperationException($"Unknown op kind {op.Kind}.");
        }
    }

    private static void ComputeAxisOp(nint ctx, KernelState s, List<nint> inputs, TensorShape[] shapes)
    {
        (int _, int axis) = AxisOps.CheckKernel(s.AxisGradient, s.NumBits, s.Axis, shapes, s.NodeName);
        ReadOnlySpan<float> In(int i) => new(TensorApi.TF_TensorData(inputs[i]), checked((int)shapes[i].NumElements));
        if (!s.AxisGradient)
        {
            using Output o = Output.Allocate(ctx, 0, shapes[0]);
            AxisOps.Forward(In(0), shapes[0], axis, In(1), In(2), s.NumBits, s.NarrowRange, o.Span);
            return;
        }

        using Output dx = Output.Allocate(ctx, 0, shapes[1]);
        using Output dMin = Output.Allocate(ctx, 1, shapes[2]);
        using Output dMax = Output.Allocate(ctx, 2, shapes[2]);
        AxisOps.Gradient(In(0), In(1), shapes[1], axis, In(2), In(3), s.NumBits, s.NarrowRange, dx.Span, dMin.Span, dMax.Span);
    }

    /// <summary>An output tensor from TF_AllocateOutput; our reference is released on dispose (TensorFlow keeps its own).</summary>
    private readonly ref struct Output
    {
        private readonly nint _tensor;

        private Output(nint tensor, Span<float> span)
        {
            _tensor = tensor;
            Span = span;
        }

        public Span<float> Span { get; }

        public static Output Allocate(nint ctx, int index, TensorShape shape)
        {
            long[] dims = shape.Dims.ToArray();
            int count = checked((int)shape.NumElements);
            using var status = new TfStatus();
            nint t;
            fixed (long* d = dims)
            {
                t = KernelApi.TF_AllocateOutput(ctx, index, (int)TF_DataType.TF_FLOAT, d, dims.Length, (nuint)count * sizeof(float), status.Pointer);
            }

            status.ThrowIfError("TF_AllocateOutput");
            return new Output(t, count == 0 ? [] : new Span<float>(TensorApi.TF_TensorData(t), count));
        }

        public void Dispose()
        {
            if (_tensor != 0)
            {
                TensorApi.TF_DeleteTensor(_tensor);
            }
        }
    }

    private static int GetInt32(nint ctx, string name) =>
        AttrReader.Read<int>(ctx, name, &KernelApi.TF_OpKernelConstruction_GetAttrInt32, "TF_OpKernelConstruction_GetAttrInt32");

    private static long GetInt64(nint ctx, string name) =>
        AttrReader.Read<long>(ctx, name, &KernelApi.TF_OpKernelConstruction_GetAttrInt64, "TF_OpKernelConstruction_GetAttrInt64");

    private static bool GetBool(nint ctx, string name) =>
        AttrReader.Read<byte>(ctx, name, &KernelApi.TF_OpKernelConstruction_GetAttrBool, "TF_OpKernelConstruction_GetAttrBool") != 0;

    private static float GetFloat(nint ctx, string name) =>
        AttrReader.Read<float>(ctx, name, &KernelApi.TF_OpKernelConstruction_GetAttrFloat, "TF_OpKernelConstruction_GetAttrFloat");

    private static void FailConstruction(nint ctx, TfCode code, string message)
    {
        try
        {
            using var status = new TfStatus();
            status.Set(code, message);
            KernelApi.TF_OpKernelConstruction_Failure(ctx, status.Pointer);
        }
#pragma warning disable CA1031 // Last resort inside a native callback.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static void FailCompute(nint ctx, TfCode code, string message)
    {
        try
        {
            using var status = new TfStatus();
            status.Set(code, message);
            KernelApi.TF_OpKernelContext_Failure(ctx, status.Pointer);
        }
#pragma warning disable CA1031 // Last resort inside a native callback.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    // ---------------------------------------------------------------- shape functions of the axis ops

    [UnmanagedCallersOnly]
    private static void ShapeAxisForward(nint ctx, nint status)
    {
        // outputs = inputs, which must have rank >= 1 (TensorFlow's own text on failure).
        try
        {
            CopyShape(ctx, status, input: 0, output: 0, rankAtLeast: 1);
        }
#pragma warning disable CA1031 // Nothing may cross the native boundary: report it to TensorFlow instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailShape(status, e);
        }
    }

    [UnmanagedCallersOnly]
    private static void ShapeAxisGradient(nint ctx, nint status)
    {
        try
        {
            if (CopyShape(ctx, status, input: 1, output: 0, rankAtLeast: 1) && CopyShape(ctx, status, input: 2, output: 1, rankExactly: 1))
            {
                CopyShape(ctx, status, input: 2, output: 2, rankExactly: 1);
            }
        }
#pragma warning disable CA1031 // Nothing may cross the native boundary: report it to TensorFlow instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailShape(status, e);
        }
    }

    /// <summary>
    /// A managed failure inside a shape function, reported through its status (otherwise
    /// TensorFlow would take the function as successful with the outputs' shapes unknown).
    /// </summary>
    private static void FailShape(nint status, Exception e)
    {
        try
        {
            fixed (byte* m = Utf8.Z($"TfFakeQuant shape function failed: {e.Message}"))
            {
                StatusApi.TF_SetStatus(status, (int)TfCode.Internal, m);
            }
        }
#pragma warning disable CA1031 // Last resort inside a native callback.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static bool CopyShape(nint ctx, nint status, int input, int output, long rankAtLeast = -1, long rankExactly = -1)
    {
        nint handle = OpDefinitionApi.TF_NewShapeHandle();
        nint checkedShape = OpDefinitionApi.TF_NewShapeHandle();
        try
        {
            OpDefinitionApi.TF_ShapeInferenceContextGetInput(ctx, input, handle, status);
            if (StatusApi.TF_GetCode(status) != 0)
            {
                return false;
            }

            if (rankAtLeast >= 0)
            {
                OpDefinitionApi.TF_ShapeInferenceContextWithRankAtLeast(ctx, handle, rankAtLeast, checkedShape, status);
            }
            else
            {
                OpDefinitionApi.TF_ShapeInferenceContextWithRank(ctx, handle, rankExactly, checkedShape, status);
            }

            if (StatusApi.TF_GetCode(status) != 0)
            {
                return false;
            }

            OpDefinitionApi.TF_ShapeInferenceContextSetOutput(ctx, output, checkedShape, status);
            return StatusApi.TF_GetCode(status) == 0;
        }
        finally
        {
            OpDefinitionApi.TF_DeleteShapeHandle(handle);
            OpDefinitionApi.TF_DeleteShapeHandle(checkedShape);
        }
    }
}
