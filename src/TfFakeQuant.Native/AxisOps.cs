using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// The two ops this bridge adds to TensorFlow for what it lacks: per-channel fake quantization
/// along any axis. <c>TfFakeQuantWithMinMaxVarsPerChannelAxis(inputs, min, max)</c> → outputs and
/// <c>TfFakeQuantWithMinMaxVarsPerChannelAxisGradient(gradients, inputs, min, max)</c> →
/// backprops_wrt_input, backprop_wrt_min, backprop_wrt_max; attrs <c>num_bits: int = 8</c>,
/// <c>narrow_range: bool = false</c>, <c>axis: int = -1</c>. With <c>axis = -1</c> they equal
/// TensorFlow's FakeQuantWithMinMaxVarsPerChannel(Gradient); otherwise they equal TensorFlow's op
/// applied to the input transposed so that <c>axis</c> is last (and transposed back).
/// </summary>
public static class AxisOps
{
    /// <summary>The forward op's name.</summary>
    public const string ForwardName = "TfFakeQuantWithMinMaxVarsPerChannelAxis";

    /// <summary>The gradient op's name.</summary>
    public const string GradientName = "TfFakeQuantWithMinMaxVarsPerChannelAxisGradient";

    /// <summary>Whether <paramref name="opType"/> is one of the two.</summary>
    /// <param name="opType">An op type name.</param>
    /// <returns>True for the axis ops.</returns>
    public static bool IsAxisOp(string opType) => opType is ForwardName or GradientName;

    internal static string AxisOutOfRange(long axis, int rank) =>
        $"axis {axis} is out of range for inputs of rank {rank}: expected a value in [{-rank}, {rank})";

    /// <summary>The axis as a non-negative index, or throws with the axis text.</summary>
    internal static int NormalizeAxis(long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
        {
            throw new InvalidArgumentException(AxisOutOfRange(axis, rank));
        }

        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>The shape with dimension <paramref name="axis"/> moved last (unknown rank stays unknown).</summary>
    internal static TensorShape MoveAxisLast(TensorShape shape, int axis)
    {
        if (!shape.IsRankKnown)
        {
            return shape;
        }

        var dims = new List<long>(shape.Dims.ToArray());
        long d = dims[axis];
        dims.RemoveAt(axis);
        dims.Add(d);
        return TensorShape.Of(dims.ToArray());
    }

    /// <summary>
    /// Graph construction checks (shape function) with TensorFlow's texts where TensorFlow has
    /// them: inputs rank ≥ 1, axis in range when the rank is known, min / max rank 1 and equal to
    /// the channel dimension; the gradient also merges gradients with inputs.
    /// </summary>
    /// <param name="gradient">The gradient op.</param>
    /// <param name="axis">The axis attr.</param>
    /// <param name="shapes">Static input shapes in op order.</param>
    /// <exception cref="ShapeInferenceException">A check failed.</exception>
    internal static void InferShapes(bool gradient, long axis, IReadOnlyList<TensorShape> shapes)
    {
        TensorShape x = shapes[gradient ? 1 : 0];
        TensorShape min = shapes[gradient ? 2 : 1];
        TensorShape max = shapes[gradient ? 3 : 2];
        if (gradient)
        {
            ShapeInference.InferOutputShapes(FakeQuantCatalog.VarsGradient, [shapes[0], x, TensorShape.Scalar, TensorShape.Scalar]);
        }

        if (x.IsRankKnown && x.Rank >= 1)
        {
            try
            {
                x = MoveAxisLast(x, NormalizeAxis(axis, x.Rank));
            }
            catch (InvalidArgumentException e)
            {
                throw new ShapeInferenceException(e.Message);
            }
        }

        ShapeInference.InferOutputShapes(FakeQuantCatalog.VarsPerChannel, [x, min, max]);
    }

    /// <summary>
    /// Kernel checks in TensorFlow's order: num_bits; (gradient) gradients and inputs the same
    /// shape; rank-0 inputs (TensorFlow's rank text); axis in range; min / max rank 1 and size.
    /// </summary>
    /// <returns>num_bits and the normalized axis.</returns>
    /// <exception cref="InvalidArgumentException">A check failed.</exception>
    internal static (int NumBits, int Axis) CheckKernel(bool gradient, long numBits, long axis, IReadOnlyList<TensorShape> shapes, string? nodeName)
    {
        int bits = KernelChecks.CheckNumBits(numBits);
        FakeQuantOpDef lastAxisOp = gradient ? FakeQuantCatalog.VarsPerChannelGradient : FakeQuantCatalog.VarsPerChannel;
        TensorShape x = shapes[gradient ? 1 : 0];
        if (x.Rank == 0 || (gradient && !shapes[0].Equals(x)))
        {
            // The catalogue's checks give the same-size text and the rank-0 text, in TensorFlow's order.
            KernelChecks.CheckShapes(lastAxisOp, shapes.ToArray(), nodeName);
        }

        int a = NormalizeAxis(axis, x.Rank);
        TensorShape[] moved = shapes.Select((s, i) => i == (gradient ? 2 : 1) || i == (gradient ? 3 : 2) ? s : MoveAxisLast(s, a)).ToArray();
        KernelChecks.CheckShapes(lastAxisOp, moved, nodeName);
        return (bits, a);
    }

    /// <summary>
    /// Forward kernel along <paramref name="axis"/>: the library's any-axis span kernel
    /// (<see cref="FakeQuant.PerChannel(ReadOnlySpan{float}, ReadOnlySpan{long}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, Span{float})"/>),
    /// no transposes; bitwise what TensorFlow's last-axis op gives on the transposed tensor.
    /// </summary>
    internal static void Forward(ReadOnlySpan<float> inputs, TensorShape shape, int axis, ReadOnlySpan<float> min, ReadOnlySpan<float> max,
        int numBits, bool narrowRange, Span<float> outputs) =>
        FakeQuant.PerChannel(inputs, shape.Dims, axis, min, max, numBits, narrowRange, outputs);

    /// <summary>
    /// Gradient kernel along <paramref name="axis"/> (the library's any-axis span kernel). Range
    /// gradients sum each channel's elements over the rows of the channel-last view, in <see cref="TfFakeQuant.Kernels.SumTree"/> order.
    /// </summary>
    internal static void Gradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, TensorShape shape, int axis, ReadOnlySpan<float> min,
        ReadOnlySpan<float> max, int numBits, bool narrowRange, Span<float> backpropsWrtInput, Span<float> backpropWrtMin, Span<float> backpropWrtMax) =>
        FakeQuant.PerChannelGradient(gradients, inputs, shape.Dims, axis, min, max, numBits, narrowRange, backpropsWrtInput, backpropWrtMin, backpropWrtMax);
}
