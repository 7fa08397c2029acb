using TfFakeQuant.Kernels;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>Seeded test data for the fast-kernel tests: values, planted specials, ranges, canaries.</summary>
internal static class KernelData
{
    public const float Canary = -12345.678f;
    public const int Pad = 19;

    public static readonly int[] Lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 257, 1031];
    public static readonly int[] ChannelCounts = [1, 3, 5, 7, 17, 67, 1000];

    /// <summary>Specials planted in inputs and gradients.</summary>
    public static readonly float[] Specials =
    [
        float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 1e-45f, -1e-45f, -3e-39f, 3e-39f, 1.17549435E-38f, -1.17549435E-38f,
    ];

    /// <summary>
    /// Per-channel ranges: ordinary ones, TF's special cases (zero range, either zero sign,
    /// subnormal bounds that flush to it), min &gt; max, min == max ≠ 0, a range excluding 0, a
    /// subnormal scale, infinite and NaN bounds.
    /// </summary>
    public static readonly (float Min, float Max)[] RangeKinds =
    [
        (-1f, 1f), (-6f, 6f), (-0.75f, 0.75f), (-10f, 10f), (0f, 0f), (-0f, 0f), (-1e-45f, 1e-45f), (2f, -2f), (3f, 3f), (12f, 123f),
        (0f, 1.2e-38f), (-1e-36f, 0f), (float.NegativeInfinity, 1f), (-1f, float.NaN), (-0.3f, 2.9f), (-123.4f, 0.5f),
    ];

    public static (float[] Min, float[] Max) Ranges(int channels, int seed)
    {
        var rng = new Random(seed);
        float[] min = new float[channels], max = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            if (rng.Next(3) == 0)
            {
                (min[c], max[c]) = RangeKinds[rng.Next(RangeKinds.Length)];
            }
            else
            {
                float lo = (float)(-rng.NextDouble() * 4), hi = (float)(rng.NextDouble() * 4);
                (min[c], max[c]) = (lo, hi);
            }
        }

        return (min, max);
    }

    /// <summary>
    /// Values for channel layout <c>channelOf(i)</c>: mostly in and around the channel's range,
    /// with specials, the exact nudged bounds and exact .5 ties (<c>nudged_min + (k + 0.5) * scale</c>,
    /// where representable) planted at seeded positions.
    /// </summary>
    public static float[] Values(int length, Func<int, (float Min, float Max)> rangeOf, int numBits, bool narrow, int seed)
    {
        var rng = new Random(seed);
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            (float min, float max) = rangeOf(i);
            QuantRange q = QuantRange.Nudge(min, max, numBits, narrow);
            float span = float.IsFinite(max - min) && max != min ? max - min : 2f;
            float lo = float.IsFinite(min) ? min : -1f;
            v[i] = rng.Next(12) switch
            {
                0 => Specials[rng.Next(Specials.Length)],
                1 => q.NudgedMin,
                2 => q.NudgedMax,
                3 => q.NudgedMin + ((rng.Next(1 << Math.Min(numBits, 8)) + 0.5f) * q.Scale),
                _ => lo + (float)(((rng.NextDouble() * 1.4) - 0.2) * span),
            };
        }

        return v;
    }

    /// <summary>Gradients: signed values of several magnitudes, some specials.</summary>
    public static float[] Gradients(int length, int seed)
    {
        var rng = new Random(seed);
        float[] g = new float[length];
        for (int i = 0; i < length; i++)
        {
            g[i] = rng.Next(16) switch
            {
                0 => Specials[rng.Next(Specials.Length)],
                1 => (float)(rng.NextDouble() - 0.5) * 3e-38f,
                2 => (float)(rng.NextDouble() - 0.5) * 1e30f,
                _ => (float)((rng.NextDouble() * 2) - 1),
            };
        }

        return g;
    }

    /// <summary>A buffer with <see cref="Pad"/> canaries on each side of <paramref name="length"/> slots.</summary>
    public static float[] Padded(int length)
    {
        float[] a = new float[length + (2 * Pad)];
        Array.Fill(a, Canary);
        return a;
    }

    public static Span<float> Inner(float[] padded) => padded.AsSpan(Pad, padded.Length - (2 * Pad));

    public static void AssertCanaries(float[] padded, string what)
    {
        for (int i = 0; i < Pad; i++)
        {
            Assert.That(padded[i], Is.EqualTo(Canary), $"{what}: canary before the output was overwritten at -{Pad - i}");
            Assert.That(padded[padded.Length - 1 - i], Is.EqualTo(Canary), $"{what}: canary after the output was overwritten at +{i}");
        }
    }

    /// <summary>Bitwise equality with the first difference reported.</summary>
    public static void AssertBitwise(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}), " +
                    $"the reference gives {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}) [width {FakeQuant.ActiveVectorWidthBits}]");
            }
        }
    }

    /// <summary>
    /// The per-channel gradient (8 bits) of <paramref name="gs"/> and <paramref name="xs"/> — copies
    /// of <paramref name="g"/> and <paramref name="x"/>, which <paramref name="bs"/> may overwrite —
    /// bitwise the reference's on <paramref name="g"/> and <paramref name="x"/>; for one channel
    /// VarsGradient's too. <paramref name="what"/> starts every failure message.
    /// </summary>
    public static void AssertGradientIsTheReferences(float[] g, float[] x, float[] min, float[] max, Span<float> gs, Span<float> xs, Span<float> bs,
        string what = "")
    {
        int n = g.Length, d = min.Length;
        float[] expected = new float[n], eMin = new float[d], eMax = new float[d];
        FakeQuantReference.PerChannelGradient(g, x, min, max, 8, false, expected, eMin, eMax);
        float[] aMin = new float[d], aMax = new float[d];
        FakeQuant.PerChannelGradient(gs, xs, min, max, 8, false, bs, aMin, aMax);
        AssertBitwise(expected, bs, $"{what}backprops");
        AssertBitwise(eMin, aMin, $"{what}backprop_wrt_min");
        AssertBitwise(eMax, aMax, $"{what}backprop_wrt_max");
        if (d == 1)
        {
            float[] vars = new float[n];
            FakeQuant.VarsGradient(g, x, min[0], max[0], 8, false, vars, out float vMin, out float vMax);
            AssertBitwise(expected, vars, $"{what}VarsGradient backprops");
            AssertBitwise(eMin[0], vMin, $"{what}VarsGradient backprop_wrt_min");
            AssertBitwise(eMax[0], vMax, $"{what}VarsGradient backprop_wrt_max");
        }
    }

    public static void AssertBitwise(float expected, float actual, string what) =>
        AssertBitwise([expected], [actual], what);
}
