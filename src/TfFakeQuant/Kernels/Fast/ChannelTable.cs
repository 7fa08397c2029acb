using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// Per-channel constants laid out for vector loads: six rows of <c>period</c> floats
/// (<see cref="NudgedMin"/>, <see cref="NudgedMax"/>, <see cref="InvScale"/>, <see cref="Scale"/>,
/// <see cref="QuantZero"/>, <see cref="ZeroRange"/>); entry <c>k</c> of every row belongs to
/// channel <c>k % channels</c>. With <c>period = lcm(channels, W)</c> a vector of W consecutive
/// elements of the flattened <c>[rows, channels]</c> stream reads its constants with one load
/// per row (the "pattern vector"), whatever the channel count.
/// </summary>
internal static class ChannelTable
{
    public const int NudgedMin = 0;
    public const int NudgedMax = 1;
    public const int InvScale = 2;
    public const int Scale = 3;
    public const int QuantZero = 4;

    /// <summary>All-ones bits where the channel is TensorFlow's <c>min == max == 0</c> case.</summary>
    public const int ZeroRange = 5;

    public const int Rows = 6;

    /// <summary>
    /// Largest pattern period whose table lives on the stack (elements; six rows of it are
    /// 24 KiB). The forward takes any channel count with <c>lcm(channels, W)</c> up to this as a
    /// pattern, and, with a rented table, channel counts that W divides up to
    /// <c>Driver.StreamMaxChannels</c>; the others go row by row.
    /// </summary>
    public const int MaxPeriod = 1024;

    /// <summary>
    /// Nudges every channel once (exactly <see cref="QuantRange.Nudge"/>) and fills
    /// <paramref name="table"/>, rotated by <paramref name="rotate"/>: entry k holds
    /// channel <c>(k + rotate) mod channels</c>, for streams whose vectors start at element
    /// <paramref name="rotate"/>; with <paramref name="dazBounds"/> the bounds are stored as
    /// <see cref="AdjustForDaz"/> gives them (gradient tables).
    /// </summary>
    /// <returns>
    /// Whether every channel <see cref="IsSafeForward"/>; <c>anyZeroRange</c> is set when some
    /// channel is the zero-range case.
    /// </returns>
    public static bool Fill(Span<float> table, int period, int rotate, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange,
        bool dazBounds, out bool anyZeroRange)
    {
        int channels = min.Length;
        float allOnes = BitConverter.Int32BitsToSingle(-1);
        bool safe = true;
        anyZeroRange = false;
        int shift = rotate % channels; // one division per call, not two per channel

        // FillLanes' vector loads and stores are unchecked: these throw first if a length is short.
        max = max[..channels];
        table = table[..(Rows * period)];
        ArgumentOutOfRangeException.ThrowIfLessThan(period, channels);
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            c = FillLanes<Simd256, Vector256<float>>(table, period, shift, min, max, numBits, narrowRange, dazBounds, ref safe, ref anyZeroRange);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            c = FillLanes<Simd128, Vector128<float>>(table, period, shift, min, max, numBits, narrowRange, dazBounds, ref safe, ref anyZeroRange);
        }

        for (; c < channels; c++)
        {
            QuantRange q = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);
            safe &= IsSafeForward(q);
            anyZeroRange |= q.IsZeroRange;
            for (int k = FirstEntry(c, shift, channels); k < period; k += channels)
            {
                Set(table, period, k, q, allOnes, dazBounds);
            }
        }

        return safe;
    }

    /// <summary>
    /// The whole vectors of channels of <see cref="Fill(Span{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, bool, out bool)"/>,
    /// W channels per step: <see cref="QuantRange.Nudge"/> lane by lane with the same IEEE
    /// operations in the same order, each flushed where it flushes (see <see cref="NudgeLanes"/>),
    /// so every entry is bitwise the scalar one. The scalar nudge is a chain of two divisions
    /// and a dozen dependent steps per channel (about 20 ns); lanes run W chains at once.
    /// Returns the channels done (a multiple of W); the caller nudges the rest one by one.
    /// </summary>
    [SkipLocalsInit]
    private static int FillLanes<S, TV>(Span<float> table, int period, int shift, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits,
        bool narrowRange, bool dazBounds, ref bool safe, ref bool anyZeroRange)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        int w = S.Count;
        int channels = min.Length;
        int vectors = channels / w * w;
        if (vectors == 0)
        {
            return 0;
        }

        // Unrotated, one entry per channel (the stream and column gradients' and the row
        // forward's tables): each row is stored a vector at a time. Otherwise the lanes go
        // through a small buffer to every entry of their channel.
        bool direct = shift == 0 && period == channels;
        Span<float> lanes = stackalloc float[Rows * 16];
        ref float t = ref MemoryMarshal.GetReference(table);
        ref float l = ref MemoryMarshal.GetReference(lanes);
        uint unsafeLanes = 0, zeroRangeLanes = 0;
        for (int c = 0; c < vectors; c += w)
        {
            TV lo = S.Load(ref Unsafe.AsRef(in min[c]), 0), hi = S.Load(ref Unsafe.AsRef(in max[c]), 0);
            NudgeLanes<S, TV>(lo, hi, numBits, narrowRange, dazBounds, out TV lower, out TV upper, out TV inv, out TV scale, out TV qz, out TV zr, out TV unsafeMask);
            unsafeLanes |= S.MaskBits(unsafeMask);
            zeroRangeLanes |= S.MaskBits(zr);
            if (direct)
            {
                nuint at = (nuint)c, p = (nuint)period;
                S.Store(lower, ref t, (NudgedMin * p) + at);
                S.Store(upper, ref t, (NudgedMax * p) + at);
                S.Store(inv, ref t, (InvScale * p) + at);
                S.Store(scale, ref t, (Scale * p) + at);
                S.Store(qz, ref t, (QuantZero * p) + at);
                S.Store(zr, ref t, (ZeroRange * p) + at);
                continue;
            }

            nuint n = (nuint)w;
            S.Store(lower, ref l, NudgedMin * n);
            S.Store(upper, ref l, NudgedMax * n);
            S.Store(inv, ref l, InvScale * n);
            S.Store(scale, ref l, Scale * n);
            S.Store(qz, ref l, QuantZero * n);
            S.Store(zr, ref l, ZeroRange * n);
            for (int i = 0; i < w; i++)
            {
                for (int k = FirstEntry(c + i, shift, channels); k < period; k += channels)
                {
                    for (int row = 0; row < Rows; row++)
                    {
                        table[(row * period) + k] = lanes[(row * w) + i];
                    }
                }
            }
        }

        safe &= unsafeLanes == 0;
        anyZeroRange |= zeroRangeLanes != 0;
        return vectors;
    }

    /// <summary>The first entry of a table rotated by <paramref name="shift"/> (&lt; channels) that holds channel <paramref name="c"/>; the next ones follow every <paramref name="channels"/> entries.</summary>
    private static int FirstEntry(int c, int shift, int channels) => c >= shift ? c - shift : c - shift + channels;

    /// <summary>
    /// <see cref="QuantRange.Nudge"/> for W channels at once, with the table's values: the
    /// bounds (DAZ-adjusted when <paramref name="dazBounds"/>), <c>1/scale</c>, scale, the
    /// quantized zero, the zero-range mask, and a mask of the lanes that are not
    /// <see cref="IsSafeForward"/>. Step by step the scalar code's operations on each lane
    /// (division, subtraction, multiplication and floor are IEEE and the same at every width;
    /// the flushes are <see cref="ISimd{TV}.Flush"/>, bitwise <see cref="Subnormals.Flush"/>).
    /// The zero point: below qmin gives qmin, above qmax gives qmax, NaN gives 0, otherwise
    /// round half away from zero, here <c>t = floor(z)</c> and <c>t + 1</c> when
    /// <c>z - t ≥ 0.5</c> (z ≥ 0 and &lt; 2^16, so both are exact). The negation flips only the
    /// sign bit, as C#'s unary minus does (NaN included).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NudgeLanes<S, TV>(TV min, TV max, int numBits, bool narrowRange, bool dazBounds,
        out TV lower, out TV upper, out TV invScale, out TV scale, out TV quantZero, out TV zeroRange, out TV unsafeMask)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        TV zero = default;
        TV allOnes = S.Broadcast(BitConverter.Int32BitsToSingle(-1));
        TV sign = S.Broadcast(-0f);
        float qminScalar = QuantRange.QuantMin(narrowRange), qmaxScalar = QuantRange.QuantMax(numBits);
        TV qmin = S.Broadcast(qminScalar), qmax = S.Broadcast(qmaxScalar), steps = S.Broadcast(qmaxScalar - qminScalar);
        TV one = S.Broadcast(1f), half = S.Broadcast(0.5f);

        min = S.Flush(min);
        max = S.Flush(max);
        zeroRange = S.And(IsZero<S, TV>(min), IsZero<S, TV>(max));
        TV range = S.Flush(S.Subtract(max, min));
        scale = S.Flush(S.Divide(range, steps));
        invScale = S.Flush(S.Divide(steps, range));
        TV zpf = S.Flush(S.Subtract(qmin, S.Flush(S.Divide(min, scale))));

        TV t = S.Floor(zpf);
        TV rounded = S.Select(S.LessThanOrEqual(half, S.Subtract(zpf, t)), S.Add(t, one), t);
        TV inRange = S.And(S.LessThanOrEqual(qmin, zpf), S.LessThanOrEqual(zpf, qmax));
        TV zp = S.Select(inRange, rounded, S.Select(S.LessThan(zpf, qmin), qmin, S.Select(S.LessThan(qmax, zpf), qmax, zero)));

        TV nudgedMin = S.Flush(S.Multiply(S.Subtract(qmin, zp), scale));
        TV nudgedMax = S.Flush(S.Multiply(S.Subtract(qmax, zp), scale));
        TV negated = S.Select(sign, S.AndNot(sign, nudgedMin), nudgedMin);
        quantZero = S.Floor(S.Flush(S.Add(S.Flush(S.Multiply(negated, invScale)), half)));

        if (dazBounds)
        {
            // AdjustForDaz, lane by lane.
            lower = S.Select(IsZero<S, TV>(nudgedMin), S.Broadcast(-LargestSubnormal), nudgedMin);
            upper = S.Select(IsZero<S, TV>(nudgedMax), S.Broadcast(LargestSubnormal), nudgedMax);
        }
        else
        {
            lower = nudgedMin;
            upper = nudgedMax;
        }

        TV safeScale = S.And(S.LessThanOrEqual(S.Broadcast(SafeScaleMin), scale), S.LessThanOrEqual(scale, S.Broadcast(SafeScaleMax)));
        unsafeMask = S.AndNot(allOnes, S.Select(zeroRange, allOnes, safeScale));
    }

    /// <summary>All-ones lanes where <paramref name="v"/> is ±0 (not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV IsZero<S, TV>(TV v)
        where S : struct, ISimd<TV>
        where TV : struct =>
        S.And(S.LessThanOrEqual(v, default), S.LessThanOrEqual(default, v));

    /// <summary>A per-tensor range replicated over <paramref name="period"/> entries.</summary>
    /// <returns>Whether the range <see cref="IsSafeForward"/>.</returns>
    public static bool Fill(Span<float> table, int period, in QuantRange q, bool dazBounds)
    {
        float allOnes = BitConverter.Int32BitsToSingle(-1);
        for (int k = 0; k < period; k++)
        {
            Set(table, period, k, q, allOnes, dazBounds);
        }

        return IsSafeForward(q);
    }

    /// <summary>
    /// A range for which the forward's intermediate flushes after <c>c - nmin</c>, <c>u - qz</c>,
    /// <c>+ 0.5</c> and <c>* scale</c> provably change nothing (see <c>Driver.Quantize</c>): the
    /// zero-range case (output masked to +0), or <c>2^-30 ≤ scale ≤ 2^30</c> (so min &lt; max,
    /// finite, zero point in range). Everything else (min &gt; max, NaN/Inf, tiny or huge ranges)
    /// runs with every flush.
    /// </summary>
    public static bool IsSafeForward(in QuantRange q) =>
        q.IsZeroRange || (q.Scale >= SafeScaleMin && q.Scale <= SafeScaleMax);

    /// <summary>2^-30, the least scale of <see cref="IsSafeForward"/>.</summary>
    private const float SafeScaleMin = 9.31322575e-10f;

    /// <summary>2^30, the greatest scale of <see cref="IsSafeForward"/>.</summary>
    private const float SafeScaleMax = 1.07374182e9f;

    /// <summary>
    /// DAZ-adjusted comparison bounds. The nudged bounds are flushed, so each is 0 or normal. For a
    /// normal bound, comparing x or flushed x gives the same answer (a subnormal lies strictly
    /// between -2^-126 and 2^-126, on the same side of any normal bound as ±0). For a zero bound,
    /// flushed x ≥ 0 ⟺ x ≥ -(2^-126 - 2^-149) and flushed x ≤ 0 ⟺ x ≤ 2^-126 - 2^-149 (and the
    /// strict tests are their negations; NaN fails all). So the gradient compares the raw x with
    /// these bounds and needs no flush of x.
    /// </summary>
    public static (float Lower, float Upper) AdjustForDaz(float nudgedMin, float nudgedMax) =>
        (nudgedMin == 0f ? -LargestSubnormal : nudgedMin, nudgedMax == 0f ? LargestSubnormal : nudgedMax);

    /// <summary>
    /// 2^-126 - 2^-149, the largest subnormal float (bits 0x007FFFFF). A literal, not a static
    /// field: the field made this class need initializing, and <c>Fill</c>, compiled fully
    /// optimized on its first call (a loop and a stackalloc), then called <see cref="AdjustForDaz"/>
    /// instead of inlining it — a 1000-channel gradient table took 33 µs against 15 µs for the
    /// forward's.
    /// </summary>
    internal const float LargestSubnormal = 1.1754942E-38f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(Span<float> table, int period, int k, in QuantRange q, float allOnes, bool dazBounds)
    {
        (float lower, float upper) = dazBounds ? AdjustForDaz(q.NudgedMin, q.NudgedMax) : (q.NudgedMin, q.NudgedMax);
        table[(NudgedMin * period) + k] = lower;
        table[(NudgedMax * period) + k] = upper;
        table[(InvScale * period) + k] = q.InvScale;
        table[(Scale * period) + k] = q.Scale;
        table[(QuantZero * period) + k] = q.QuantZero;
        table[(ZeroRange * period) + k] = q.IsZeroRange ? allOnes : 0f;
    }

    /// <summary>Least common multiple (small positive ints).</summary>
    public static long Lcm(long a, long b)
    {
        long x = a, y = b;
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }

        return a / x * b;
    }
}
