using TfFakeQuant.Kernels.Fast;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// <see cref="ChannelTable.Fill(Span{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, bool, out bool)"/>:
/// every entry of its rotated, replicated table must be bitwise what <see cref="QuantRange.Nudge"/>
/// gives the channel of that entry (with the DAZ bounds of gradient tables) — on ranges aimed at
/// each branch of the nudge (zero point below, above and inside the grid, rounding ties, NaN zero
/// points, zero ranges, subnormal, infinite, NaN and reversed bounds), at several rotations and
/// periods.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class ChannelTableTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, 0.5f, -0.5f, 2.5f, -2.5f, 1e-3f, -1e-3f, 1e-20f, -1e-20f, 1e20f, -1e20f,
        float.Epsilon, -float.Epsilon, 1e-39f, -1e-39f, 1.17549435e-38f, -1.17549435e-38f, float.MaxValue, -float.MaxValue,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)),
        BitConverter.Int32BitsToSingle(0x7FA00000), 6f, -6f, 127.5f, -127.5f, 0.1f, -0.1f,
    ];

    [Test]
    public void Largest_subnormal_literal_has_the_bits_it_names() =>
        Assert.That(BitConverter.SingleToInt32Bits(ChannelTable.LargestSubnormal), Is.EqualTo(0x007FFFFF));

    [Test]
    public void Fill_equals_the_scalar_nudge_bitwise([Values(1, 3, 4, 5, 8, 13, 16, 37)] int channels, [Values(2, 4, 8, 16)] int numBits,
        [Values] bool narrowRange, [Values] bool dazBounds)
    {
        var rng = new Random((channels * 131) + (numBits * 7) + (narrowRange ? 1 : 0) + (dazBounds ? 2 : 0));
        for (int trial = 0; trial < 300; trial++)
        {
            float[] min = new float[channels], max = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                (min[c], max[c]) = Range(rng, trial);
            }

            int rotate = rng.Next(0, 16);
            int period = channels * (1 + rng.Next(0, 3));
            float[] table = new float[ChannelTable.Rows * period];
            bool safe = ChannelTable.Fill(table, period, rotate, min, max, numBits, narrowRange, dazBounds, out bool anyZeroRange);

            bool expectSafe = true, expectZero = false;
            for (int k = 0; k < period; k++)
            {
                int c = (k + rotate) % channels;
                QuantRange q = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);
                (float lower, float upper) = dazBounds ? ChannelTable.AdjustForDaz(q.NudgedMin, q.NudgedMax) : (q.NudgedMin, q.NudgedMax);
                float[] expected = [lower, upper, q.InvScale, q.Scale, q.QuantZero, q.IsZeroRange ? BitConverter.Int32BitsToSingle(-1) : 0f];
                for (int row = 0; row < ChannelTable.Rows; row++)
                {
                    float actual = table[(row * period) + k];
                    Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[row])),
                        $"row {row}, entry {k} (channel {c}): min {min[c]:R}, max {max[c]:R}, {numBits} bits, narrow {narrowRange}: {actual:R} vs {expected[row]:R}");
                }

                expectSafe &= ChannelTable.IsSafeForward(q);
                expectZero |= q.IsZeroRange;
            }

            Assert.That((safe, anyZeroRange), Is.EqualTo((expectSafe, expectZero)), $"trial {trial}");
        }
    }

    [Test]
    public void Fill_rejects_short_bounds_periods_and_tables()
    {
        float[] min = new float[16], max = new float[16];
        Array.Fill(min, -1f);
        Array.Fill(max, 1f);
        float[] table = new float[ChannelTable.Rows * 16];
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => ChannelTable.Fill(table, 16, 0, min, max.AsSpan(0, 15), 8, false, true, out _));
            Assert.Throws<ArgumentOutOfRangeException>(() => ChannelTable.Fill(table.AsSpan(0, table.Length - 1), 16, 0, min, max, 8, false, true, out _));
            Assert.Throws<ArgumentOutOfRangeException>(() => ChannelTable.Fill(table, 8, 0, min, max, 8, false, true, out _));
        });
        Assert.That(ChannelTable.Fill(table, 16, 0, min, max, 8, false, true, out bool anyZeroRange) && !anyZeroRange, Is.True);
    }

    /// <summary>A range from the specials, from random bits, or ordinary with the zero point on a rounding tie.</summary>
    private static (float Min, float Max) Range(Random rng, int trial)
    {
        switch (rng.Next(0, 5))
        {
            case 0:
                return (Specials[rng.Next(Specials.Length)], Specials[rng.Next(Specials.Length)]);
            case 1:
                return (BitConverter.Int32BitsToSingle(rng.Next(int.MinValue, int.MaxValue)), BitConverter.Int32BitsToSingle(rng.Next(int.MinValue, int.MaxValue)));
            case 2:
            {
                // Zero point exactly k + 0.5 on the grid: min = -(k + 0.5) * scale.
                float scale = (float)Math.Pow(2, rng.Next(-20, 10));
                int k = rng.Next(0, 200);
                return (-(k + 0.5f) * scale, (255 - k - 0.5f) * scale);
            }

            case 3:
                return (0f, 0f);
            default:
                float lo = (float)((rng.NextDouble() - 0.7) * Math.Pow(10, rng.Next(-6, 6)));
                return (lo, lo + (float)(rng.NextDouble() * Math.Pow(10, rng.Next(-6, 6)) * (trial % 7 == 0 ? -1 : 1)));
        }
    }
}
