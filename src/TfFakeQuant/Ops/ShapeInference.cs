namespace TfFakeQuant.Ops;

/// <summary>
/// TensorFlow 2.21's shape functions for the six ops (<c>array_ops.cc</c>): what a graph builder
/// runs when a node is added. Partial shapes merge as in TensorFlow's <c>InferenceContext</c>;
/// failures raise <see cref="ShapeInferenceException"/> with TensorFlow's text.
/// </summary>
public static class ShapeInference
{
    /// <summary>Infers the static output shapes of <paramref name="op"/>.</summary>
    /// <param name="op">The op.</param>
    /// <param name="inputShapes">Static input shapes in OpDef order (unknown rank / dims allowed).</param>
    /// <returns>One shape per output.</returns>
    /// <exception cref="ShapeInferenceException">A shape function check failed.</exception>
    /// <exception cref="ArgumentException">Wrong number of input shapes.</exception>
    public static TensorShape[] InferOutputShapes(FakeQuantOpDef op, ReadOnlySpan<TensorShape> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (inputShapes.Length != op.InputNames.Count)
        {
            throw new ArgumentException($"{op.Name} takes {op.InputNames.Count} inputs, got {inputShapes.Length}.", nameof(inputShapes));
        }

        switch (op.Kind)
        {
            case FakeQuantOpKind.Args:
            case FakeQuantOpKind.ArgsGradient:
                // UnchangedShape: output 0 is input 0; nothing is checked.
                return [inputShapes[0]];

            case FakeQuantOpKind.Vars:
                WithRank(inputShapes[1], 0);
                WithRank(inputShapes[2], 0);
                return [inputShapes[0]];

            case FakeQuantOpKind.VarsGradient:
            {
                TensorShape inputs = Merge(inputShapes[0], inputShapes[1]);
                TensorShape minMax = Merge(WithRank(inputShapes[2], 0), inputShapes[3]);
                return [inputs, minMax, minMax];
            }

            case FakeQuantOpKind.VarsPerChannel:
            {
                TensorShape input = WithRankAtLeast(inputShapes[0], 1);
                TensorShape min = WithRank(inputShapes[1], 1);
                TensorShape max = WithRank(inputShapes[2], 1);
                long last = LastDim(input);
                MergeDim(last, DimOf(min, 0));
                MergeDim(last, DimOf(max, 0));
                MergeDim(DimOf(min, 0), DimOf(max, 0));
                return [input];
            }

            case FakeQuantOpKind.VarsPerChannelGradient:
            {
                TensorShape inputs = WithRankAtMost(WithRankAtLeast(inputShapes[0], 1), 4);
                inputs = Merge(inputs, inputShapes[1]);
                if (inputs.Rank == 0)
                {
                    // Gradients of unknown rank merged with rank-0 inputs: TensorFlow 2.21 then
                    // reads Dim(inputs, -1) and crashes the process. Raise the rank-0 text instead.
                    throw new ShapeInferenceException(TfMessages.RankAtLeast(1, 0));
                }

                TensorShape lastDim = inputs.IsRankKnown ? TensorShape.Of(inputs[-1]) : TensorShape.Of(TensorShape.UnknownDim);
                TensorShape minMax = Merge(WithRank(inputShapes[2], 1), lastDim);
                minMax = Merge(inputShapes[3], minMax);
                return [inputs, minMax, minMax];
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown op kind.");
        }
    }

    /// <summary><c>InferenceContext::WithRank</c>: unknown rank becomes that rank with unknown dims.</summary>
    internal static TensorShape WithRank(TensorShape s, int rank)
    {
        if (!s.IsRankKnown)
        {
            return UnknownDims(rank);
        }

        return s.Rank == rank ? s : throw new ShapeInferenceException(TfMessages.RankExactly(rank, s.Rank));
    }

    internal static TensorShape WithRankAtLeast(TensorShape s, int rank) =>
        !s.IsRankKnown || s.Rank >= rank ? s : throw new ShapeInferenceException(TfMessages.RankAtLeast(rank, s.Rank));

    internal static TensorShape WithRankAtMost(TensorShape s, int rank) =>
        !s.IsRankKnown || s.Rank <= rank ? s : throw new ShapeInferenceException(TfMessages.RankAtMost(rank, s.Rank));

    /// <summary><c>InferenceContext::Merge</c> of two shapes: unknown rank yields the other; dims merge pairwise.</summary>
    internal static TensorShape Merge(TensorShape a, TensorShape b)
    {
        if (!a.IsRankKnown)
        {
            return b;
        }

        if (!b.IsRankKnown)
        {
            return a;
        }

        if (a.Rank != b.Rank)
        {
            throw new ShapeInferenceException(TfMessages.EqualRank(a.Rank, b.Rank));
        }

        var dims = new long[a.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            long da = a[i], db = b[i];
            if (da != TensorShape.UnknownDim && db != TensorShape.UnknownDim && da != db)
            {
                throw new ShapeInferenceException(TfMessages.ShapeDimension(i, da, db, a, b));
            }

            dims[i] = da == TensorShape.UnknownDim ? db : da;
        }

        return TensorShape.Of(dims);
    }

    /// <summary><c>InferenceContext::Merge</c> of two dimensions.</summary>
    internal static long MergeDim(long a, long b)
    {
        if (a != TensorShape.UnknownDim && b != TensorShape.UnknownDim && a != b)
        {
            throw new ShapeInferenceException(TfMessages.DimensionsEqual(a, b));
        }

        return a == TensorShape.UnknownDim ? b : a;
    }

    private static long LastDim(TensorShape s) => s.IsRankKnown ? s[-1] : TensorShape.UnknownDim;

    private static long DimOf(TensorShape s, int index) => s.IsRankKnown ? s[index] : TensorShape.UnknownDim;

    private static TensorShape UnknownDims(int rank)
    {
        var dims = new long[rank];
        Array.Fill(dims, TensorShape.UnknownDim);
        return TensorShape.Of(dims);
    }
}
