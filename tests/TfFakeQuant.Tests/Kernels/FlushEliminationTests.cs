using System.Runtime.Intrinsics;
using TfFakeQuant.Kernels;
using TfFakeQuant.Kernels.Fast;
using TfFakeQuant.Quantization;
using static TfFakeQuant.Tests.Kernels.KernelData;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// The fast paths that skip flushes on a proof rather than on the data: the forward of calls
/// whose every range passes <see cref="ChannelTable.IsSafeForward"/> (no flush at all), and the
/// channel-last gradient's vectors without a small nonzero gradient (no flush of g or of the
/// sums). The general fixtures mix special ranges into most calls, which sends these calls down
/// the exact paths; here every call qualifies, and the data aims at the edges of each proof:
/// subnormal inputs against one-sided ranges, gradients around 2^-102, sums that cancel.
/// Bitwise against <see cref="FakeQuantReference"/>; CI runs it in every SIMD lane.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class FlushEliminationTests
{
    /// <summary>Ranges that pass IsSafeForward, among them ones whose nudged min or max is exactly 0.</summary>
    private static readonly (float Min, float Max)[] SafeRanges =
    [
        (-1f, 1f), (0f, 1f), (0f, 6f), (-1f, 0f), (-6f, 0f), (-0.75f, 0.75f), (12f, 123f), (-123.4f, -5f), (-0f, 2.5f),
        (1e-3f, 3e-3f), (-1e5f, 1e5f), (-0.3f, 2.9f), (-3e-4f, 1e-4f),
    ];

    private static readonly float[] SubnormalAndZero = [1e-45f, -1e-45f, 3e-39f, -3e-39f, 1.1754942E-38f, -1.1754942E-38f, 0f, -0f];

    private static readonly (int Bits, bool Narrow)[] Modes = [(8, false), (8, true), (4, false), (16, false), (2, true)];

    [Test]
    public void Forward_without_flushes_matches_the_reference([Values(1, 3, 7, 8, 16, 17, 64, 67, 1000)] int d)
    {
        for (int seed = 0; seed < 12; seed++)
        {
            var rng = new Random((seed * 7919) + d);
            (int bits, bool narrow) = Modes[seed % Modes.Length];
            int rows = 1 + rng.Next(d >= 64 ? 9 : 70);
            float[] min = new float[d], max = new float[d];
            for (int c = 0; c < d; c++)
            {
                (min[c], max[c]) = SafeRanges[rng.Next(SafeRanges.Length)];
                Assert.That(ChannelTable.IsSafeForward(QuantRange.Nudge(min[c], max[c], bits, narrow)), Is.True,
                    $"[{min[c]}, {max[c]}] must take the flush-free path for this test to mean anything");
            }

            float[] x = SafeInputs(rows * d, i => (min[i % d], max[i % d]), bits, narrow, rng);
            float[] expected = new float[x.Length], actual = new float[x.Length];
            FakeQuantReference.PerChannel(x, min, max, bits, narrow, expected);
            FakeQuant.PerChannel(x, min, max, bits, narrow, actual);
            AssertBitwise(expected, actual, $"PerChannel d={d} seed={seed}");

            // The per-tensor ops on the same data: Args multiplies by 1/scale, Vars divides by scale.
            (float lo, float hi) = (min[0], max[0]);
            FakeQuantReference.Args(x, lo, hi, bits, narrow, expected);
            FakeQuant.Args(x, lo, hi, bits, narrow, actual);
            AssertBitwise(expected, actual, $"Args [{lo}, {hi}] seed={seed}");
            FakeQuantReference.Vars(x, lo, hi, bits, narrow, expected);
            FakeQuant.Vars(x, lo, hi, bits, narrow, actual);
            AssertBitwise(expected, actual, $"Vars [{lo}, {hi}] seed={seed}");
        }
    }

    [Test]
    public void Gradient_without_flushes_matches_the_reference([Values(8, 9, 16, 24, 25, 32, 64, 67, 1000)] int d)
    {
        for (int seed = 0; seed < 12; seed++)
        {
            var rng = new Random((seed * 104729) + d);
            (int bits, bool narrow) = Modes[seed % Modes.Length];
            int rows = 1 + rng.Next(d >= 64 ? 40 : 300);
            float[] min = new float[d], max = new float[d];
            for (int c = 0; c < d; c++)
            {
                // Any range but the zero range (which sends the whole call down the exact path).
                (min[c], max[c]) = rng.Next(4) == 0 ? SafeRanges[rng.Next(SafeRanges.Length)] : ((float)(-rng.NextDouble() * 3), (float)(rng.NextDouble() * 3) + 1e-3f);
            }

            float[] x = SafeInputs(rows * d, i => (min[i % d], max[i % d]), bits, narrow, rng);
            float[] g = EdgeGradients(x.Length, rng, smallEvery: seed % 3 == 0 ? 5 : 400);
            float[] expected = new float[x.Length], eMin = new float[d], eMax = new float[d];
            FakeQuantReference.PerChannelGradient(g, x, min, max, bits, narrow, expected, eMin, eMax);
            float[] actual = new float[x.Length], aMin = new float[d], aMax = new float[d];
            FakeQuant.PerChannelGradient(g, x, min, max, bits, narrow, actual, aMin, aMax);
            AssertBitwise(expected, actual, $"backprops d={d} seed={seed}");
            AssertBitwise(eMin, aMin, $"backprop_wrt_min d={d} seed={seed}");
            AssertBitwise(eMax, aMax, $"backprop_wrt_max d={d} seed={seed}");
        }
    }

    [Test]
    public void Gradient_sums_that_cancel_to_the_edge_of_the_normal_range_match_the_reference([Values(8, 16, 64)] int d)
    {
        // Every element below its range, so every gradient is a term of the min sum. Terms of
        // magnitude ≥ 2^-102 whose partial sums cancel down to 2^-125 .. 2^-101, mixed with terms
        // just under 2^-102 (those vectors take the exact path) and with zeros of both signs.
        float p102 = MathF.ScaleB(1f, -102);
        float[] pool =
        [
            p102, -p102, MathF.BitIncrement(p102), -MathF.BitIncrement(p102), MathF.BitDecrement(p102), -MathF.BitDecrement(p102),
            MathF.ScaleB(1f, -101), -MathF.ScaleB(1f, -101), MathF.ScaleB(1f, -101) + MathF.ScaleB(1f, -124), MathF.ScaleB(3f, -103),
            -MathF.ScaleB(3f, -103), 0f, -0f,

            // Below 2^-102: pairs that cancel to a subnormal (2^-104 + 2^-127 - 2^-104 = 2^-127).
            Subnormals.SmallestNormal, -Subnormals.SmallestNormal, MathF.ScaleB(1f, -104), -MathF.ScaleB(1f, -104),
            MathF.ScaleB(1f, -104) + MathF.ScaleB(1f, -127), -(MathF.ScaleB(1f, -104) + MathF.ScaleB(1f, -127)),
        ];
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            int rows = 2 + rng.Next(200);
            float[] min = new float[d], max = new float[d];
            Array.Fill(min, -1f);
            Array.Fill(max, 1f);
            float[] x = new float[rows * d], g = new float[rows * d];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = rng.Next(8) == 0 ? 5f : -5f;
                // Seeds cycle through: terms ≥ 2^-102 (and zeros) only, small terms (and zeros) only, all.
                g[i] = (seed % 3) switch
                {
                    0 => pool[rng.Next(13)],
                    1 => pool[11 + rng.Next(pool.Length - 11)],
                    _ => pool[rng.Next(pool.Length)],
                };
            }

            float[] expected = new float[x.Length], eMin = new float[d], eMax = new float[d];
            FakeQuantReference.PerChannelGradient(g, x, min, max, 8, false, expected, eMin, eMax);
            float[] actual = new float[x.Length], aMin = new float[d], aMax = new float[d];
            FakeQuant.PerChannelGradient(g, x, min, max, 8, false, actual, aMin, aMax);
            AssertBitwise(expected, actual, $"seed {seed}: backprops");
            AssertBitwise(eMin, aMin, $"seed {seed}: backprop_wrt_min");
            AssertBitwise(eMax, aMax, $"seed {seed}: backprop_wrt_max");
        }
    }

    [Test]
    public void LessOf_and_GreaterOf_pick_exactly_like_the_compare_and_select_they_replace()
    {
        float[] values = [float.NaN, -float.NaN, 0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, 1e-45f, -3e-39f];
        foreach (float a in values)
        {
            foreach (float b in values)
            {
                float less = a < b ? a : b, greater = a > b ? a : b;
                string what = $"a={a:R} (0x{BitConverter.SingleToInt32Bits(a):X8}), b={b:R} (0x{BitConverter.SingleToInt32Bits(b):X8})";
                AssertBitwise(less, SimdScalar.LessOf(a, b), $"scalar LessOf {what}");
                AssertBitwise(greater, SimdScalar.GreaterOf(a, b), $"scalar GreaterOf {what}");
                AssertBitwise(less, Simd128.LessOf(Vector128.Create(a), Vector128.Create(b)).GetElement(3), $"128 LessOf {what}");
                AssertBitwise(greater, Simd128.GreaterOf(Vector128.Create(a), Vector128.Create(b)).GetElement(3), $"128 GreaterOf {what}");
                AssertBitwise(less, Simd256.LessOf(Vector256.Create(a), Vector256.Create(b)).GetElement(7), $"256 LessOf {what}");
                AssertBitwise(greater, Simd256.GreaterOf(Vector256.Create(a), Vector256.Create(b)).GetElement(7), $"256 GreaterOf {what}");
                AssertBitwise(less, Simd512.LessOf(Vector512.Create(a), Vector512.Create(b)).GetElement(15), $"512 LessOf {what}");
                AssertBitwise(greater, Simd512.GreaterOf(Vector512.Create(a), Vector512.Create(b)).GetElement(15), $"512 GreaterOf {what}");
            }
        }
    }

    [Test]
    public void AnySmallNonZero_finds_exactly_the_magnitudes_below_two_to_the_minus_102()
    {
        float p102 = MathF.ScaleB(1f, -102);
        (float Value, bool Small)[] cases =
        [
            (0f, false), (-0f, false), (float.NaN, false), (float.PositiveInfinity, false), (1f, false), (p102, false), (-p102, false),
            (MathF.BitDecrement(p102), true), (-MathF.BitDecrement(p102), true), (Subnormals.SmallestNormal, true), (1e-45f, true), (-3e-39f, true),
        ];
        foreach ((float v, bool small) in cases)
        {
            Assert.That(SimdScalar.AnySmallNonZero(v), Is.EqualTo(small), $"scalar {v:R}");
            Assert.That(Simd128.AnySmallNonZero(Vector128.Create(1f, 0f, v, -2f)), Is.EqualTo(small), $"128 {v:R}");
            Assert.That(Simd256.AnySmallNonZero(Vector256.Create(1f, 0f, -0f, 2f, 3f, float.NaN, 4f, v)), Is.EqualTo(small), $"256 {v:R}");
            Assert.That(Simd512.AnySmallNonZero(Vector512.Create(1f).WithElement(9, v)), Is.EqualTo(small), $"512 {v:R}");
        }
    }

    /// <summary>
    /// The magnitude record the not-in-place pattern gradient keeps instead of a test per vector:
    /// folded over several vectors, one of which holds the value, it reports exactly the small
    /// nonzeros, infinities and NaNs, as <c>AnySmallNonZeroOrNonFinite</c> does vector by vector.
    /// </summary>
    [Test]
    public void Tracked_magnitudes_report_exactly_the_small_nonzero_and_non_finite_values()
    {
        float p102 = MathF.ScaleB(1f, -102);
        (float Value, bool Bad)[] cases =
        [
            (0f, false), (-0f, false), (1f, false), (-3e38f, false), (float.MaxValue, false), (-float.MaxValue, false), (p102, false), (-p102, false),
            (float.NaN, true), (-float.NaN, true), (float.PositiveInfinity, true), (float.NegativeInfinity, true),
            (MathF.BitDecrement(p102), true), (-MathF.BitDecrement(p102), true), (Subnormals.SmallestNormal, true), (1e-45f, true), (-3e-39f, true),
        ];
        float[] others = [1f, -0f, 0f, -2.5f, p102, 7e20f];
        foreach ((float v, bool bad) in cases)
        {
            float sLow = 0f, sHigh = 0f;
            Vector128<float> low128 = default, high128 = default;
            Vector256<float> low256 = default, high256 = default;
            Vector512<float> low512 = default, high512 = default;
            Assert.That(SimdScalar.AnyTrackedSmallNonZeroOrNonFinite(sLow, sHigh) || Simd256.AnyTrackedSmallNonZeroOrNonFinite(low256, high256), Is.False,
                "an empty record");
            for (int k = 0; k < others.Length; k++)
            {
                float lane = k == 3 ? v : others[k];
                SimdScalar.TrackMagnitudes(lane, ref sLow, ref sHigh);
                Vector128<float> v128 = Vector128.Create(others[k]).WithElement(k % 4, lane);
                Vector256<float> v256 = Vector256.Create(others[k]).WithElement(k % 8, lane);
                Vector512<float> v512 = Vector512.Create(others[k]).WithElement(k + 9, lane);
                Simd128.TrackMagnitudes(v128, ref low128, ref high128);
                Simd256.TrackMagnitudes(v256, ref low256, ref high256);
                Simd512.TrackMagnitudes(v512, ref low512, ref high512);
                Assert.That(Simd256.AnySmallNonZeroOrNonFinite(v256), Is.EqualTo(k == 3 && bad), $"256 per vector {v:R}");
            }

            Assert.That(SimdScalar.AnyTrackedSmallNonZeroOrNonFinite(sLow, sHigh), Is.EqualTo(bad), $"scalar {v:R}");
            Assert.That(Simd128.AnyTrackedSmallNonZeroOrNonFinite(low128, high128), Is.EqualTo(bad), $"128 {v:R}");
            Assert.That(Simd256.AnyTrackedSmallNonZeroOrNonFinite(low256, high256), Is.EqualTo(bad), $"256 {v:R}");
            Assert.That(Simd512.AnyTrackedSmallNonZeroOrNonFinite(low512, high512), Is.EqualTo(bad), $"512 {v:R}");
        }
    }

    /// <summary>Inputs around each channel's range with subnormals, zeros, specials, nudged bounds and ties planted.</summary>
    private static float[] SafeInputs(int length, Func<int, (float Min, float Max)> rangeOf, int bits, bool narrow, Random rng)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            (float min, float max) = rangeOf(i);
            QuantRange q = QuantRange.Nudge(min, max, bits, narrow);
            v[i] = rng.Next(10) switch
            {
                0 => SubnormalAndZero[rng.Next(SubnormalAndZero.Length)],
                1 => Specials[rng.Next(Specials.Length)],
                2 => rng.Next(2) == 0 ? q.NudgedMin : q.NudgedMax,
                3 => q.NudgedMin + ((rng.Next(1 << Math.Min(bits, 8)) + 0.5f) * q.Scale),
                4 => (float)((rng.NextDouble() - 0.5) * 1e-30),
                _ => min + (float)(((rng.NextDouble() * 1.4) - 0.2) * (max - min)),
            };
        }

        return v;
    }

    /// <summary>Ordinary gradients, with specials and values at the edges of 2^-102 and 2^-126 about once per <paramref name="smallEvery"/>.</summary>
    private static float[] EdgeGradients(int length, Random rng, int smallEvery)
    {
        float p102 = MathF.ScaleB(1f, -102);
        float[] edges =
        [
            p102, -p102, MathF.BitDecrement(p102), -MathF.BitIncrement(p102), Subnormals.SmallestNormal, -MathF.ScaleB(1f, -110),
            3e-39f, -1e-45f, 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity,
        ];
        float[] g = new float[length];
        for (int i = 0; i < length; i++)
        {
            g[i] = rng.Next(smallEvery) == 0 ? edges[rng.Next(edges.Length)]
                : rng.Next(20) == 0 ? (rng.Next(2) == 0 ? 0f : -0f)
                : (float)((rng.NextDouble() * 2) - 1);
        }

        return g;
    }
}
