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
    /// Largest pattern period used (elements). Six rows of it are 24 KiB, on the stack; channel
    /// counts whose <c>lcm(channels, W)</c> is larger use per-row chunks instead.
    /// </summary>
    public const int MaxPeriod = 1024;

    /// <summary>Nudges every channel once (exactly <see cref="QuantRange.Nudge"/>) and fills <paramref name="table"/>.</summary>
    public static void Fill(Span<float> table, int period, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange)
    {
        int channels = min.Length;
        float allOnes = BitConverter.Int32BitsToSingle(-1);
        for (int c = 0; c < channels; c++)
        {
            QuantRange q = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);
            for (int k = c; k < period; k += channels)
            {
                Set(table, period, k, q, allOnes);
            }
        }
    }

    /// <summary>A per-tensor range replicated over <paramref name="period"/> entries.</summary>
    public static void Fill(Span<float> table, int period, in QuantRange q)
    {
        float allOnes = BitConverter.Int32BitsToSingle(-1);
        for (int k = 0; k < period; k++)
        {
            Set(table, period, k, q, allOnes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(Span<float> table, int period, int k, in QuantRange q, float allOnes)
    {
        table[(NudgedMin * period) + k] = q.NudgedMin;
        table[(NudgedMax * period) + k] = q.NudgedMax;
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
