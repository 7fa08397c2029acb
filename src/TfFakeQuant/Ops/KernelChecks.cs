using TfFakeQuant.Quantization;

namespace TfFakeQuant.Ops;

/// <summary>
/// The checks TensorFlow 2.21's CPU kernels make, in their order, with their texts: first those
/// of kernel construction (attrs), then those of compute (shapes). Eager execution runs only
/// these; graph execution runs <see cref="ShapeInference"/> first, at construction.
/// </summary>
public static class KernelChecks
{
    /// <summary>
    /// Kernel construction: reads the attrs as TensorFlow's kernel constructors do.
    /// Args ops: <c>min has to be smaller than max, was: MIN &gt;= MAX</c> (bounds flushed, NaN
    /// rejected). Then <c>Attr num_bits has value N out of range for an int32</c> and <c>num_bits
    /// must be between 2 and 16, inclusive</c>.
    /// </summary>
    /// <param name="op">The op.</param>
    /// <param name="attrs">Its attrs.</param>
    /// <returns><c>num_bits</c> as the int the kernel uses.</returns>
    /// <exception cref="InvalidArgumentException">A check failed; the message is TensorFlow's.</exception>
    public static int CheckAttrs(FakeQuantOpDef op, FakeQuantAttrs attrs)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(attrs);
        if (op.HasRangeAttrs)
        {
            // The kernel compares with DAZ on: subnormal attrs are signed zeros, so [-1e-45, 1e-45]
            // is rejected as "-0 >= 0". The test is !(min < max): NaN bounds are rejected.
            float min = Subnormals.Flush(attrs.Min);
            float max = Subnormals.Flush(attrs.Max);
            if (!(min < max))
            {
                throw new InvalidArgumentException(TfMessages.ArgsMinNotBelowMax(min, max));
            }
        }

        return CheckNumBits(attrs.NumBits);
    }

    /// <summary>The <c>num_bits</c> attr checks: fits an int32, then lies in 2..16.</summary>
    /// <param name="numBits">The attr value as stored (int64 in a NodeDef).</param>
    /// <returns>The value as an int.</returns>
    /// <exception cref="InvalidArgumentException">Out of range, with TensorFlow's text.</exception>
    public static int CheckNumBits(long numBits)
    {
        if (numBits is < int.MinValue or > int.MaxValue)
        {
            throw new InvalidArgumentException(TfMessages.AttrOutOfInt32Range("num_bits", numBits));
        }

        if (numBits is < 2 or > 16)
        {
            throw new InvalidArgumentException(TfMessages.NumBitsRange);
        }

        return (int)numBits;
    }

    /// <summary>
    /// Kernel compute: the shape checks of <paramref name="op"/> for concrete input shapes, in
    /// TensorFlow's order. Where TensorFlow 2.21 aborts its process (rank-0 inputs to the
    /// per-channel ops, at the point its kernel reads the channel count) this raises
    /// <c>Shape must be at least rank 1 but is rank 0</c> instead.
    /// </summary>
    /// <param name="op">The op.</param>
    /// <param name="inputShapes">One fully defined shape per input, in OpDef order.</param>
    /// <param name="nodeName">The node name for ArgsGradient's text; null in eager (the op type is printed).</param>
    /// <exception cref="InvalidArgumentException">A check failed; the message is TensorFlow's.</exception>
    /// <exception cref="ArgumentException">Wrong number of shapes, or a shape not fully defined.</exception>
    public static void CheckShapes(FakeQuantOpDef op, ReadOnlySpan<TensorShape> inputShapes, string? nodeName = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (inputShapes.Length != op.InputNames.Count)
        {
            throw new ArgumentException($"{op.Name} takes {op.InputNames.Count} inputs, got {inputShapes.Length}.", nameof(inputShapes));
        }

        foreach (TensorShape s in inputShapes)
        {
            if (s is null || !s.IsFullyDefined)
            {
                throw new ArgumentException($"Kernel checks need fully defined shapes, got {s?.ToString() ?? "null"}.", nameof(inputShapes));
            }
        }

        switch (op.Kind)
        {
            case FakeQuantOpKind.Args:
                break;
            case FakeQuantOpKind.ArgsGradient:
                if (!inputShapes[0].Equals(inputShapes[1]))
                {
                    throw new InvalidArgumentException(TfMessages.ArgsGradientShapes(nodeName ?? op.Name, inputShapes[0], inputShapes[1]));
                }

                // TensorFlow's kernel is a BinaryElementWiseOp: after the shape check its compute
                // dispatches on the rank, 0 through 8 only (Args, a UnaryElementWiseOp, has no limit).
                if (inputShapes[0].Rank > MaxElementwiseRank)
                {
                    throw new InvalidArgumentException(TfMessages.ElementwiseRank(inputShapes[0].Rank));
                }

                break;
            case FakeQuantOpKind.Vars:
                CheckRangeRank("min", inputShapes[1], 0);
                CheckRangeRank("max", inputShapes[2], 0);
                break;
            case FakeQuantOpKind.VarsGradient:
                CheckSameShape(inputShapes[0], inputShapes[1]);
                CheckRangeRank("min", inputShapes[2], 0);
                CheckRangeRank("max", inputShapes[3], 0);
                break;
            case FakeQuantOpKind.VarsPerChannel:
                CheckPerChannel(inputShapes[0], inputShapes[1], inputShapes[2]);
                break;
            case FakeQuantOpKind.VarsPerChannelGradient:
                CheckSameShape(inputShapes[0], inputShapes[1]);
                CheckPerChannel(inputShapes[1], inputShapes[2], inputShapes[3]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown op kind.");
        }
    }

    /// <summary>Both kinds of checks: <see cref="CheckAttrs"/> then <see cref="CheckShapes"/>.</summary>
    /// <param name="op">The op.</param>
    /// <param name="attrs">Its attrs.</param>
    /// <param name="inputShapes">Fully defined input shapes in OpDef order.</param>
    /// <param name="nodeName">Node name for messages that name it; null in eager.</param>
    /// <returns><c>num_bits</c> as an int.</returns>
    /// <exception cref="InvalidArgumentException">A check failed; the message is TensorFlow's.</exception>
    public static int Check(FakeQuantOpDef op, FakeQuantAttrs attrs, ReadOnlySpan<TensorShape> inputShapes, string? nodeName = null)
    {
        int numBits = CheckAttrs(op, attrs);
        CheckShapes(op, inputShapes, nodeName);
        return numBits;
    }

    /// <summary>Highest rank ArgsGradient's kernel computes (TensorFlow's <c>BinaryElementWiseOp</c>).</summary>
    private const int MaxElementwiseRank = 8;

    private static void CheckSameShape(TensorShape gradients, TensorShape inputs)
    {
        if (!gradients.Equals(inputs))
        {
            throw new InvalidArgumentException(TfMessages.GradientInputSameSize);
        }
    }

    private static void CheckPerChannel(TensorShape inputs, TensorShape min, TensorShape max)
    {
        if (inputs.Rank == 0)
        {
            // TensorFlow 2.21 reads dim_size(dims() - 1) here and aborts: "Check failed: d >= 0".
            throw new InvalidArgumentException(TfMessages.RankAtLeast(1, 0));
        }

        long depth = inputs[-1];
        CheckRangeRank("min", min, 1);
        if (min[0] != depth)
        {
            throw new InvalidArgumentException(TfMessages.RangeSize("min", depth, min[0]));
        }

        CheckRangeRank("max", max, 1);
        if (max[0] != depth)
        {
            throw new InvalidArgumentException(TfMessages.RangeSize("max", depth, max[0]));
        }
    }

    private static void CheckRangeRank(string which, TensorShape shape, int rank)
    {
        if (shape.Rank != rank)
        {
            throw new InvalidArgumentException(TfMessages.RangeRank(which, rank, shape.Rank));
        }
    }
}
