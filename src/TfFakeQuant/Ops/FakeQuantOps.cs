using NumSharp;
using TfFakeQuant.Kernels;

namespace TfFakeQuant.Ops;

/// <summary>
/// Op-level entry points over shaped data: validate exactly as TensorFlow 2.21's eager kernels
/// do (their checks, order and texts; see <see cref="KernelChecks"/>), then run the kernels.
/// Overloads take <see cref="FloatTensor"/> or NumSharp <see cref="NDArray"/>.
/// </summary>
public static class FakeQuantOps
{
    /// <summary>
    /// Runs any of the six ops by its TensorFlow type name, as an eager <c>tf.raw_ops</c> call would.
    /// </summary>
    /// <param name="opName">For example <c>FakeQuantWithMinMaxVarsPerChannelGradient</c>.</param>
    /// <param name="inputs">The inputs in OpDef order.</param>
    /// <param name="attrs">The attrs (null: TensorFlow's defaults).</param>
    /// <param name="nodeName">Node name for texts that name it (graph execution); null in eager.</param>
    /// <returns>The outputs in OpDef order.</returns>
    /// <exception cref="InvalidArgumentException">A kernel check failed (TensorFlow's text).</exception>
    /// <exception cref="KeyNotFoundException">Not a FakeQuant op.</exception>
    /// <exception cref="ArgumentException">The number of inputs is not the op's (not an <see cref="InvalidArgumentException"/>: a programming error, not a TensorFlow check).</exception>
    /// <exception cref="ArgumentNullException">An argument or one of the inputs is null.</exception>
    public static FloatTensor[] Execute(string opName, IReadOnlyList<FloatTensor> inputs, FakeQuantAttrs? attrs = null, string? nodeName = null) =>
        Execute(FakeQuantCatalog.Get(opName), inputs, attrs, nodeName);

    /// <summary>Runs <paramref name="op"/> on <paramref name="inputs"/> after TensorFlow's kernel checks.</summary>
    /// <param name="op">The op.</param>
    /// <param name="inputs">The inputs in OpDef order.</param>
    /// <param name="attrs">The attrs (null: TensorFlow's defaults).</param>
    /// <param name="nodeName">Node name for texts that name it; null in eager.</param>
    /// <returns>The outputs in OpDef order.</returns>
    /// <exception cref="InvalidArgumentException">A kernel check failed (TensorFlow's text).</exception>
    /// <exception cref="ArgumentException">The number of inputs is not the op's.</exception>
    /// <exception cref="ArgumentNullException">An argument or one of the inputs is null.</exception>
    public static FloatTensor[] Execute(FakeQuantOpDef op, IReadOnlyList<FloatTensor> inputs, FakeQuantAttrs? attrs = null, string? nodeName = null) =>
        Execute<FloatTensor, FloatTensorStore>(op, inputs, attrs, nodeName);

    /// <summary>
    /// The body of every <c>Execute</c>: TensorFlow's kernel checks on the input shapes, then the
    /// kernel from the inputs' elements into new outputs (through <typeparamref name="TStore"/>:
    /// no copy of a <see cref="FloatTensor"/> or of a contiguous float32 NumSharp array).
    /// </summary>
    internal static T[] Execute<T, TStore>(FakeQuantOpDef op, IReadOnlyList<T> inputs, FakeQuantAttrs? attrs, string? nodeName)
        where T : class
        where TStore : struct, ITensorStore<T>
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        attrs ??= FakeQuantAttrs.Default;
        if (inputs.Count != op.InputNames.Count)
        {
            throw new ArgumentException($"{op.Name} takes {op.InputNames.Count} inputs, got {inputs.Count}.", nameof(inputs));
        }

        var shapes = new TensorShape[inputs.Count];
        for (int i = 0; i < shapes.Length; i++)
        {
            shapes[i] = TStore.ShapeOf(inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Input {i} ({op.InputNames[i]}) is null."));
        }

        int numBits = KernelChecks.Check(op, attrs, shapes, nodeName);
        bool narrow = attrs.NarrowRange;
        T[] outputs;
        switch (op.Kind)
        {
            case FakeQuantOpKind.Args:
            {
                T y = TStore.Create(shapes[0]);
                FakeQuant.Args(TStore.Read(inputs[0]), attrs.Min, attrs.Max, numBits, narrow, TStore.Write(y));
                outputs = [y];
                break;
            }

            case FakeQuantOpKind.ArgsGradient:
            {
                T y = TStore.Create(shapes[0]);
                FakeQuant.ArgsGradient(TStore.Read(inputs[0]), TStore.Read(inputs[1]), attrs.Min, attrs.Max, numBits, narrow, TStore.Write(y));
                outputs = [y];
                break;
            }

            case FakeQuantOpKind.Vars:
            {
                T y = TStore.Create(shapes[0]);
                FakeQuant.Vars(TStore.Read(inputs[0]), TStore.Read(inputs[1])[0], TStore.Read(inputs[2])[0], numBits, narrow, TStore.Write(y));
                outputs = [y];
                break;
            }

            case FakeQuantOpKind.VarsGradient:
            {
                T dx = TStore.Create(shapes[0]);
                FakeQuant.VarsGradient(TStore.Read(inputs[0]), TStore.Read(inputs[1]), TStore.Read(inputs[2])[0], TStore.Read(inputs[3])[0], numBits, narrow,
                    TStore.Write(dx), out float dMin, out float dMax);
                T min = TStore.Create(TensorShape.Scalar), max = TStore.Create(TensorShape.Scalar);
                TStore.Write(min)[0] = dMin;
                TStore.Write(max)[0] = dMax;
                outputs = [dx, min, max];
                break;
            }

            case FakeQuantOpKind.VarsPerChannel:
            {
                T y = TStore.Create(shapes[0]);
                FakeQuant.PerChannel(TStore.Read(inputs[0]), TStore.Read(inputs[1]), TStore.Read(inputs[2]), numBits, narrow, TStore.Write(y));
                outputs = [y];
                break;
            }

            case FakeQuantOpKind.VarsPerChannelGradient:
            {
                T dx = TStore.Create(shapes[0]), dMin = TStore.Create(shapes[2]), dMax = TStore.Create(shapes[2]);
                FakeQuant.PerChannelGradient(TStore.Read(inputs[0]), TStore.Read(inputs[1]), TStore.Read(inputs[2]), TStore.Read(inputs[3]), numBits, narrow,
                    TStore.Write(dx), TStore.Write(dMin), TStore.Write(dMax));
                outputs = [dx, dMin, dMax];
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown op kind.");
        }

        // The spans may point into the inputs' unmanaged storage (NDArrayStore): keep them alive to here.
        GC.KeepAlive(inputs);
        return outputs;
    }

    /// <summary>FakeQuantWithMinMaxArgs on a tensor.</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized tensor.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static FloatTensor Args(FloatTensor inputs, float min = FakeQuantCatalog.DefaultMin, float max = FakeQuantCatalog.DefaultMax,
        int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.Args, [inputs], new FakeQuantAttrs(numBits, narrowRange, min, max))[0];

    /// <summary>FakeQuantWithMinMaxArgsGradient on tensors.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The backprops.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static FloatTensor ArgsGradient(FloatTensor gradients, FloatTensor inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.ArgsGradient, [gradients, inputs], new FakeQuantAttrs(numBits, narrowRange, min, max))[0];

    /// <summary>FakeQuantWithMinMaxVars on tensors.</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized tensor.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static FloatTensor Vars(FloatTensor inputs, FloatTensor min, FloatTensor max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.Vars, [inputs, min, max], new FakeQuantAttrs(numBits, narrowRange))[0];

    /// <summary>FakeQuantWithMinMaxVarsGradient on tensors.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>Input backprops and the two rank-0 range gradients.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static (FloatTensor BackpropsWrtInput, FloatTensor BackpropWrtMin, FloatTensor BackpropWrtMax) VarsGradient(FloatTensor gradients,
        FloatTensor inputs, FloatTensor min, FloatTensor max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false)
    {
        FloatTensor[] r = Execute(FakeQuantCatalog.VarsGradient, [gradients, inputs, min, max], new FakeQuantAttrs(numBits, narrowRange));
        return (r[0], r[1], r[2]);
    }

    /// <summary>FakeQuantWithMinMaxVarsPerChannel on tensors (channel = last dimension).</summary>
    /// <param name="inputs">Rank ≥ 1, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized tensor.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks (and the rank-0 text where TensorFlow aborts).</exception>
    public static FloatTensor PerChannel(FloatTensor inputs, FloatTensor min, FloatTensor max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.VarsPerChannel, [inputs, min, max], new FakeQuantAttrs(numBits, narrowRange))[0];

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient on tensors (any rank ≥ 1, as TensorFlow's eager kernel).</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>Input backprops and the two [d] range gradients.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks (and the rank-0 text where TensorFlow aborts).</exception>
    public static (FloatTensor BackpropsWrtInput, FloatTensor BackpropWrtMin, FloatTensor BackpropWrtMax) PerChannelGradient(FloatTensor gradients,
        FloatTensor inputs, FloatTensor min, FloatTensor max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false)
    {
        FloatTensor[] r = Execute(FakeQuantCatalog.VarsPerChannelGradient, [gradients, inputs, min, max], new FakeQuantAttrs(numBits, narrowRange));
        return (r[0], r[1], r[2]);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannel with the channel on any axis (an extension of the
    /// TensorFlow op, which always uses the last axis): equal to moving <paramref name="axis"/>
    /// last, running the op and moving it back, without transposing. Checks in TensorFlow's order
    /// with its texts: <c>num_bits</c>, rank ≥ 1, then (after the axis) min/max rank 1 and size
    /// <c>shape[axis]</c>.
    /// </summary>
    /// <param name="inputs">Rank ≥ 1.</param>
    /// <param name="min">Shape [<c>inputs.shape[axis]</c>].</param>
    /// <param name="max">Same shape as <paramref name="min"/>.</param>
    /// <param name="axis">Channel axis, <c>-rank ≤ axis &lt; rank</c>; -1 is TensorFlow's op.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized tensor.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static FloatTensor PerChannel(FloatTensor inputs, FloatTensor min, FloatTensor max, int axis, int numBits, bool narrowRange)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(min);
        ArgumentNullException.ThrowIfNull(max);
        int bits = KernelChecks.CheckNumBits(numBits);
        CheckAxisShapes(inputs.Shape, min.Shape, max.Shape, axis);
        var y = FloatTensor.Zeros(inputs.Shape);
        FakeQuant.PerChannel(inputs.Span, inputs.Shape.Dims, axis, min.Span, max.Span, bits, narrowRange, y.Span);
        return y;
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannelGradient with the channel on any axis: equal to the
    /// TensorFlow op on the tensors with <paramref name="axis"/> moved last (each channel's range
    /// gradients sum its elements over that view's rows, in <see cref="Kernels.SumTree"/> order). Checks in TensorFlow's order with its
    /// texts: <c>num_bits</c>, <c>gradient and input must be the same size</c>, rank ≥ 1, then
    /// min/max rank 1 and size.
    /// </summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape, rank ≥ 1.</param>
    /// <param name="min">Shape [<c>inputs.shape[axis]</c>].</param>
    /// <param name="max">Same shape as <paramref name="min"/>.</param>
    /// <param name="axis">Channel axis, <c>-rank ≤ axis &lt; rank</c>; -1 is TensorFlow's op.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>Input backprops and the two per-channel range gradients.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static (FloatTensor BackpropsWrtInput, FloatTensor BackpropWrtMin, FloatTensor BackpropWrtMax) PerChannelGradient(FloatTensor gradients,
        FloatTensor inputs, FloatTensor min, FloatTensor max, int axis, int numBits, bool narrowRange)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(min);
        ArgumentNullException.ThrowIfNull(max);
        int bits = KernelChecks.CheckNumBits(numBits);
        if (!gradients.Shape.Equals(inputs.Shape))
        {
            throw new InvalidArgumentException(TfMessages.GradientInputSameSize);
        }

        CheckAxisShapes(inputs.Shape, min.Shape, max.Shape, axis);
        var dx = FloatTensor.Zeros(inputs.Shape);
        var dMin = FloatTensor.Zeros(min.Shape);
        var dMax = FloatTensor.Zeros(min.Shape);
        FakeQuant.PerChannelGradient(gradients.Span, inputs.Span, inputs.Shape.Dims, axis, min.Span, max.Span, bits, narrowRange, dx.Span, dMin.Span, dMax.Span);
        return (dx, dMin, dMax);
    }

    /// <summary>The per-channel kernel checks with the channel dimension at <paramref name="axis"/>.</summary>
    private static void CheckAxisShapes(TensorShape inputs, TensorShape min, TensorShape max, int axis)
    {
        if (inputs.Rank == 0)
        {
            throw new InvalidArgumentException(TfMessages.RankAtLeast(1, 0));
        }

        if (axis < -inputs.Rank || axis >= inputs.Rank)
        {
            throw new ArgumentException($"Axis {axis} is out of range for a tensor of rank {inputs.Rank} (valid: {-inputs.Rank} to {inputs.Rank - 1}).", nameof(axis));
        }

        long depth = inputs[axis < 0 ? axis + inputs.Rank : axis];
        if (min.Rank != 1)
        {
            throw new InvalidArgumentException(TfMessages.RangeRank("min", 1, min.Rank));
        }

        if (min[0] != depth)
        {
            throw new InvalidArgumentException(TfMessages.RangeSize("min", depth, min[0]));
        }

        if (max.Rank != 1)
        {
            throw new InvalidArgumentException(TfMessages.RangeRank("max", 1, max.Rank));
        }

        if (max[0] != depth)
        {
            throw new InvalidArgumentException(TfMessages.RangeSize("max", depth, max[0]));
        }
    }

    // ---- NumSharp overloads ----

    /// <summary>Converts a NumSharp array to a float32 <see cref="FloatTensor"/> (copying; other dtypes are converted).</summary>
    /// <param name="array">Any NumSharp array.</param>
    /// <returns>A tensor with the same shape.</returns>
    public static FloatTensor ToTensor(NDArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var tensor = new FloatTensor(NDArrayStore.ShapeOf(array), NDArrayStore.Read(array).ToArray());
        GC.KeepAlive(array); // the span may point into its unmanaged storage
        return tensor;
    }

    /// <summary>Converts a tensor to a NumSharp float32 array of the same shape (copying).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <returns>The array.</returns>
    public static NDArray ToNDArray(FloatTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        NDArray array = NDArrayStore.Create(tensor.Shape);
        tensor.Span.CopyTo(NDArrayStore.Write(array));
        return array;
    }

    /// <summary>Runs an op on NumSharp arrays (see <see cref="Execute(string, IReadOnlyList{FloatTensor}, FakeQuantAttrs?, string?)"/>).</summary>
    /// <param name="opName">TensorFlow op type name.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">The attrs (null: defaults).</param>
    /// <returns>Outputs in OpDef order.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static NDArray[] Execute(string opName, IReadOnlyList<NDArray> inputs, FakeQuantAttrs? attrs = null)
    {
        ArgumentNullException.ThrowIfNull(opName);
        return Execute(FakeQuantCatalog.Get(opName), inputs, attrs);
    }

    /// <summary>Runs <paramref name="op"/> on NumSharp arrays (see <see cref="Execute(FakeQuantOpDef, IReadOnlyList{FloatTensor}, FakeQuantAttrs?, string?)"/>).</summary>
    /// <param name="op">The op.</param>
    /// <param name="inputs">Inputs in OpDef order: contiguous float32 arrays are read in place, others converted to float32 first.</param>
    /// <param name="attrs">The attrs (null: defaults).</param>
    /// <returns>Outputs in OpDef order, new float32 arrays.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static NDArray[] Execute(FakeQuantOpDef op, IReadOnlyList<NDArray> inputs, FakeQuantAttrs? attrs = null) =>
        Execute<NDArray, NDArrayStore>(op, inputs, attrs, null);

    /// <summary>FakeQuantWithMinMaxVarsPerChannel on NumSharp arrays.</summary>
    /// <param name="inputs">Rank ≥ 1, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized array.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static NDArray PerChannel(NDArray inputs, NDArray min, NDArray max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.VarsPerChannel, [inputs, min, max], new FakeQuantAttrs(numBits, narrowRange))[0];

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient on NumSharp arrays.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>Input backprops and the two [d] range gradients.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static (NDArray BackpropsWrtInput, NDArray BackpropWrtMin, NDArray BackpropWrtMax) PerChannelGradient(NDArray gradients, NDArray inputs,
        NDArray min, NDArray max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false)
    {
        NDArray[] r = Execute(FakeQuantCatalog.VarsPerChannelGradient, [gradients, inputs, min, max], new FakeQuantAttrs(numBits, narrowRange));
        return (r[0], r[1], r[2]);
    }

    /// <summary>FakeQuantWithMinMaxVars on NumSharp arrays.</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized array.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static NDArray Vars(NDArray inputs, NDArray min, NDArray max, int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.Vars, [inputs, min, max], new FakeQuantAttrs(numBits, narrowRange))[0];

    /// <summary>FakeQuantWithMinMaxArgs on a NumSharp array.</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <returns>The fake-quantized array.</returns>
    /// <exception cref="InvalidArgumentException">TensorFlow's kernel checks.</exception>
    public static NDArray Args(NDArray inputs, float min = FakeQuantCatalog.DefaultMin, float max = FakeQuantCatalog.DefaultMax,
        int numBits = FakeQuantCatalog.DefaultNumBits, bool narrowRange = false) =>
        Execute(FakeQuantCatalog.Args, [inputs], new FakeQuantAttrs(numBits, narrowRange, min, max))[0];
}
