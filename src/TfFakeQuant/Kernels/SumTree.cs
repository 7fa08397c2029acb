namespace TfFakeQuant.Kernels;

/// <summary>
/// The order in which the gradients' range sums (<c>backprop_wrt_min</c> and
/// <c>backprop_wrt_max</c>, per channel or per tensor) add their terms. Every kernel — the scalar
/// reference and the vector drivers, at every SIMD width and thread count — follows it, so their
/// sums are bitwise equal.
/// </summary>
/// <remarks>
/// <para>
/// The terms are taken in row order of the channel-last view <c>[rows, channels]</c> (a
/// per-tensor gradient is one channel: <c>rows</c> = its elements; a channel on another axis is
/// the view after moving that axis last). The rows are grouped in units of
/// <see cref="UnitRows"/>, and the units into a fixed binary tree: a range of units is a leaf when
/// it is one unit or holds at most <see cref="LeafElements"/> elements; otherwise it splits at
/// <see cref="Mid"/> into a left and a right range. A leaf's sum starts at +0 and adds its terms in
/// row order; an inner node's sum is its left sum plus its right sum. Every addition, leaf or node,
/// is one float32 add flushed to zero (SPEC: FTZ/DAZ).
/// </para>
/// <para>
/// A tensor of at most <see cref="LeafElements"/> elements (every case recorded from TensorFlow) is
/// one leaf: plain row order. Larger ones are split so that threads can take whole subtrees and
/// still give the sums of one thread (TensorFlow's own float32 reduction order is unspecified; it
/// agrees bitwise wherever the partial sums are exact, as any order does).
/// </para>
/// </remarks>
public static class SumTree
{
    /// <summary>Rows per unit: a leaf boundary is a multiple of 16 rows, so it is 64-byte aligned relative to the tensor's start and keeps its vector phase at every width.</summary>
    public const int UnitRows = 16;

    /// <summary>The most elements a leaf of more than one unit holds: 2^18, 1 MiB of each operand (the parallel crossover of the fast kernels).</summary>
    public const long LeafElements = 1 << 18;

    /// <summary>The leaf bound in effect (<see cref="LeafElements"/>; tests lower it to build deep trees from small tensors).</summary>
    internal static long Leaf = LeafElements;

    /// <summary>Units of a tensor with <paramref name="rows"/> rows (the last may be short).</summary>
    public static long Units(long rows) => (rows + UnitRows - 1) / UnitRows;

    /// <summary>The first row of unit <paramref name="unit"/>, clamped to <paramref name="rows"/> (the end of the last unit).</summary>
    public static long RowOf(long unit, long rows) => Math.Min(unit * UnitRows, rows);

    /// <summary>Whether the units <c>[u0, u1)</c> of a <c>[rows, rowElements]</c> view form a leaf.</summary>
    public static bool IsLeaf(long u0, long u1, long rows, long rowElements) =>
        u1 - u0 <= 1 || (RowOf(u1, rows) - RowOf(u0, rows)) * rowElements <= Leaf;

    /// <summary>Where an inner node <c>[u0, u1)</c> splits: its left child takes the first half of its units, rounded down.</summary>
    public static long Mid(long u0, long u1) => u0 + ((u1 - u0) / 2);

    /// <summary>Levels below the root of the tree over <c>[u0, u1)</c> (0 for a leaf): the scratch depth an evaluation needs.</summary>
    public static int Depth(long u0, long u1, long rows, long rowElements)
    {
        if (IsLeaf(u0, u1, rows, rowElements))
        {
            return 0;
        }

        long m = Mid(u0, u1);
        return 1 + Math.Max(Depth(u0, m, rows, rowElements), Depth(m, u1, rows, rowElements));
    }
}
