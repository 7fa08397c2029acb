using CsCheck;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// CsCheck generators for the reliability properties: floats rich in special values, shapes of
/// rank 0..10 with zero dimensions, attrs with out-of-range and int64-extreme <c>num_bits</c>,
/// and whole op-level calls whose shapes are correct most of the time and broken in one of the
/// ways TensorFlow's kernel checks catch the rest of the time.
/// </summary>
internal static class Generators
{
    /// <summary>Values every kernel must survive: NaNs (both signs), infinities, signed zeros, subnormals, extremes.</summary>
    public static readonly float[] Specials =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7FA0_0001), float.PositiveInfinity, float.NegativeInfinity,
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-45f, -3e-39f, 1.17549435E-38f, -1.17549435E-38f,
        BitConverter.Int32BitsToSingle(0x007F_FFFF), BitConverter.Int32BitsToSingle(0x0080_0001), 1e-36f, -1e-36f,
        float.MaxValue, float.MinValue, 1e38f, -1e38f, 0.5f, -0.5f, 1f, -1f, 6f, -6f, 127.5f, 2f,
    ];

    /// <summary>A float: mostly ordinary, often special, sometimes any bit pattern.</summary>
    public static readonly Gen<float> Float = Gen.Frequency(
        (6, Gen.Float[-8f, 8f]),
        (2, Gen.Int[-600, 600].Select(k => k / 20f)), // on or near typical quantization grids
        (2, Gen.Int[0, Specials.Length - 1].Select(i => Specials[i])),
        (1, Gen.UInt.Select(BitConverter.UInt32BitsToSingle)));

    /// <summary>A range bound: ordinary, special, or any bit pattern.</summary>
    private static readonly Gen<float> Bound = Gen.Frequency(
        (3, Gen.Int[0, Specials.Length - 1].Select(i => Specials[i])),
        (3, Gen.Float[-20f, 20f]),
        (1, Gen.UInt.Select(BitConverter.UInt32BitsToSingle)));

    /// <summary>
    /// A (min, max) pair: ordinary ranges containing zero, ranges excluding zero, min &gt; max,
    /// min == max (zero of either sign included), subnormal and special bounds.
    /// </summary>
    public static readonly Gen<(float Min, float Max)> Range = Gen.Frequency(
        (5, Gen.Select(Gen.Float[-10f, 0f], Gen.Float[0f, 10f])),
        (1, Gen.Select(Gen.Float[1f, 20f], Gen.Float[20f, 200f])),        // excludes 0 from above
        (1, Gen.Select(Gen.Float[-200f, -20f], Gen.Float[-20f, -1f])),    // excludes 0 from below
        (1, Gen.Select(Gen.Float[0f, 10f], Gen.Float[-10f, 0f])),          // min > max
        (1, Bound.Select(v => (v, v))),                                     // min == max
        (1, Gen.Select(Gen.OneOf(Gen.Const(0f), Gen.Const(-0f), Gen.Const(1e-45f), Gen.Const(-1e-45f)),
                       Gen.OneOf(Gen.Const(0f), Gen.Const(-0f), Gen.Const(1e-45f), Gen.Const(-3e-39f)))),
        (3, Gen.Select(Bound, Bound)));

    /// <summary><c>num_bits</c> as an int: mostly valid, often -5..40.</summary>
    public static readonly Gen<int> NumBitsInt = Gen.Frequency((4, Gen.Int[2, 16]), (1, Gen.Int[-5, 40]));

    /// <summary><c>num_bits</c> as the int64 a NodeDef carries, int32 overflow and extremes included.</summary>
    public static readonly Gen<long> NumBitsLong = Gen.Frequency(
        (8, Gen.Int[2, 16].Select(i => (long)i)),
        (3, Gen.Int[-5, 40].Select(i => (long)i)),
        (1, Gen.OneOf(Gen.Const(long.MinValue), Gen.Const(long.MaxValue), Gen.Const((long)int.MaxValue), Gen.Const((long)int.MinValue),
            Gen.Const(int.MaxValue + 1L), Gen.Const(int.MinValue - 1L), Gen.Const(1L << 32), Gen.Const((1L << 32) + 8)
            )));

    /// <summary>Dimensions of one shape: rank 0..6 (and 7..10, past ArgsGradient's rank limit), small dims with zeros; total elements stay small.</summary>
    public static readonly Gen<long[]> Dims = Gen.Frequency(
        (3, Gen.Int[0, 6].SelectMany(rank => Gen.Int[0, 3].Select(d => (long)d).Array[rank])),
        (1, Gen.Int[7, 10].SelectMany(rank => Gen.Int[0, 2].Select(d => (long)d).Array[rank])),
        (2, Gen.Int[1, 2].SelectMany(rank => Gen.Int[0, 40].Select(d => (long)d).Array[rank])),
        (1, Gen.Int[1, 300].Select(d => new long[] { d })));

    /// <summary>The parts of an op-level call that may be broken deliberately.</summary>
    [Flags]
    public enum Breakage
    {
        None = 0,
        GradientShape = 1,   // gradients' shape differs from the inputs'
        MinRank = 2,
        MinSize = 4,
        MaxRank = 8,
        MaxSize = 16,
    }

    /// <summary>Data for one op-level call.</summary>
    public sealed record OpCall(FakeQuantOpDef Op, FakeQuantAttrs Attrs, FloatTensor[] Inputs, string? NodeName)
    {
        public override string ToString() =>
            $"{Op.Name}(num_bits={Attrs.NumBits}, narrow={Attrs.NarrowRange}, min={Attrs.Min:R}, max={Attrs.Max:R}, node={NodeName ?? "null"}) " +
            string.Join(", ", Inputs.Select((t, i) => $"{Op.InputNames[i]}{t.Shape}=[{string.Join(",", t.GetArray().Take(8).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}{(t.Length > 8 ? ",..." : "")}]"));
    }

    private static Gen<FloatTensor> Tensor(long[] dims)
    {
        int n = (int)dims.Aggregate(1L, (a, d) => a * d);
        return Float.Array[n].Select(data => new FloatTensor(TensorShape.Of(dims), data));
    }

    private static Gen<FloatTensor> RangeTensor(long[] dims, float[] values)
    {
        int n = (int)dims.Aggregate(1L, (a, d) => a * d);
        // Fill with the chosen per-channel range values where they fit, so valid calls use real ranges.
        return Gen.Const(0).Select(_ =>
        {
            var data = new float[n];
            for (int i = 0; i < n; i++)
            {
                data[i] = values.Length == 0 ? 0f : values[i % values.Length];
            }

            return new FloatTensor(TensorShape.Of(dims), data);
        });
    }

    private static Gen<long[]> BreakRank(long[] good, bool broken) =>
        !broken ? Gen.Const(good) : Gen.Int[0, 3].Where(r => r != good.Length).SelectMany(r => Gen.Int[0, 3].Select(d => (long)d).Array[r]);

    private static Gen<long[]> BreakSize(long[] good, bool broken) =>
        !broken || good.Length == 0 ? Gen.Const(good) : Gen.Int[0, 6].Where(d => d != good[0]).Select(d => new long[] { d });

    /// <summary>An op-level call of any of the six ops; about a third are broken somewhere.</summary>
    public static readonly Gen<OpCall> OpCallGen =
        from kind in Gen.Int[0, 5].Select(i => (FakeQuantOpKind)i)
        from numBits in NumBitsLong
        from narrow in Gen.Bool
        from range in Range
        from breakage in Gen.Frequency((6, Gen.Const(Breakage.None)), (4, Gen.Int[1, 31].Select(b => (Breakage)b)))
        from nodeName in Gen.OneOf(Gen.Const((string?)null), Gen.Const((string?)"scope/fq_node"))
        from call in Call(FakeQuantCatalog.Get(kind), new FakeQuantAttrs(numBits, narrow, range.Min, range.Max), breakage, nodeName)
        select call;

    private static Gen<OpCall> Call(FakeQuantOpDef op, FakeQuantAttrs attrs, Breakage breakage, string? nodeName) =>
        from xDims in Dims
        from gDims in breakage.HasFlag(Breakage.GradientShape) ? Dims.Where(d => !d.AsSpan().SequenceEqual(xDims)) : Gen.Const(xDims)
        from x in Tensor(xDims)
        from g in Tensor(gDims)
        from ranges in Range.Array[Math.Max(1, xDims.Length == 0 ? 1 : (int)xDims[^1])]
        from minDims in RangeDims(op, xDims, breakage.HasFlag(Breakage.MinRank), breakage.HasFlag(Breakage.MinSize))
        from maxDims in RangeDims(op, xDims, breakage.HasFlag(Breakage.MaxRank), breakage.HasFlag(Breakage.MaxSize))
        from min in RangeTensor(minDims, ranges.Select(r => r.Min).ToArray())
        from max in RangeTensor(maxDims, ranges.Select(r => r.Max).ToArray())
        select new OpCall(op, attrs, op.Kind switch
        {
            FakeQuantOpKind.Args => [x],
            FakeQuantOpKind.ArgsGradient => [g, x],
            FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel => [x, min, max],
            _ => [g, x, min, max],
        }, nodeName);

    private static Gen<long[]> RangeDims(FakeQuantOpDef op, long[] xDims, bool breakRank, bool breakSize)
    {
        if (!op.IsPerChannel)
        {
            return BreakRank([], breakRank);
        }

        long[] good = [xDims.Length == 0 ? 1 : xDims[^1]];
        return breakRank ? BreakRank(good, true) : BreakSize(good, breakSize);
    }
}
