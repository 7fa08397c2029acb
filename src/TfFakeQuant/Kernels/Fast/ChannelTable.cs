using System.Runtime.CompilerServices;
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
        for (int c = 0; c < channels; c++)
        {
            QuantRange q = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);
            safe &= IsSafeForward(q);
            anyZeroRange |= q.IsZeroRange;
            int first = c - shift;
            for (int k = first < 0 ? first + channels : first; k < period; k += channels)
            {
                Set(table, period, k, q, allOnes, dazBounds);
            }
        }

        return safe;
    }

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
        q.IsZeroRange || (q.Scale >= 9.31322575e-10f && q.Scale <= 1.07374182e9f);

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
