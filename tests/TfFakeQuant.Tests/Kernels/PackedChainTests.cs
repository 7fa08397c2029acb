using System.Runtime.Intrinsics;
using TfFakeQuant.Kernels;
using TfFakeQuant.Kernels.Fast;
using static TfFakeQuant.Tests.Kernels.KernelData;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// The pattern gradient (d = 1, VarsGradient, and at 512 bits d = 2, 3; the other d &lt; W of these
/// tests now take the rounds driver, <see cref="RoundsTests"/>, and are checked here as well): its lane pack
/// (<see cref="ISimd{TV}.Compress"/>) at every width, and its packed sum chains on the data where
/// leaving the ±0 terms out is not exact — sums that cancel to zero or stay at -0 and then meet
/// zero terms of either sign — in place and not, across tiles, with the lead of streamed calls.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class PackedChainTests
{
    [Test]
    public void Pattern_area_regions_are_disjoint_and_fit()
    {
        (string Name, int Start, int Length)[] regions =
        [
            ("lanes", PatternArea.Lanes, PackIndex.Lanes.Length / sizeof(float)), ("masks", PatternArea.Masks, PatternArea.Tile),
            ("terms below", PatternArea.TermsBelow, PatternArea.ListLength), ("terms above", PatternArea.TermsAbove, PatternArea.ListLength),
            ("channels below", PatternArea.ChannelsBelow, PatternArea.ListLength), ("channels above", PatternArea.ChannelsAbove, PatternArea.ListLength),
            ("constants", PatternArea.Constants, 4 * 15 * 16), ("scratch", PatternArea.Scratch, PatternArea.Tile),
        ];
        for (int i = 0; i < regions.Length; i++)
        {
            Assert.That(regions[i].Start + regions[i].Length, Is.LessThanOrEqualTo(i + 1 < regions.Length ? regions[i + 1].Start : PatternArea.Length),
                $"{regions[i].Name} runs into the next region");
        }
    }

    [Test]
    public void Compress_packs_the_marked_lanes_in_lane_order_at_every_width()
    {
        ref byte lanes = ref PackIndex.Lanes[0];
        float[] values = Enumerable.Range(0, 16).Select(i => 100f + i).ToArray();
        for (uint mask = 0; mask < (1u << 16); mask++)
        {
            float[] expected = Enumerable.Range(0, 16).Where(i => ((mask >> i) & 1) != 0).Select(i => values[i]).ToArray();
            float[] out512 = new float[16], out256 = new float[8], out128 = new float[4], outByLane = new float[16], outScalar = new float[1];
            nuint n512 = Simd512.Compress(Vector512.Create(values), mask, ref lanes, ref out512[0]);
            Assert.That(out512[..(int)n512], Is.EqualTo(expected), $"512, mask 0x{mask:X4}");
            Assert.That(PackIndex.ByLane(Vector512.Create(values), mask, ref outByLane[0]), Is.EqualTo(n512), $"by lane, mask 0x{mask:X4}");
            Assert.That(outByLane[..(int)n512], Is.EqualTo(expected), $"by lane, mask 0x{mask:X4}");
            if (mask < 256)
            {
                nuint n256 = Simd256.Compress(Vector256.Create(values.AsSpan(0, 8)), mask, ref lanes, ref out256[0]);
                Assert.That(out256[..(int)n256], Is.EqualTo(expected), $"256, mask 0x{mask:X2}");
            }

            if (mask < 16)
            {
                nuint n128 = Simd128.Compress(Vector128.Create(values.AsSpan(0, 4)), mask, ref lanes, ref out128[0]);
                Assert.That(out128[..(int)n128], Is.EqualTo(expected), $"128, mask 0x{mask:X}");
            }

            if (mask < 2)
            {
                nuint n1 = SimdScalar.Compress(values[0], mask, ref lanes, ref outScalar[0]);
                Assert.That(outScalar[..(int)n1], Is.EqualTo(expected), $"scalar, mask {mask}");
            }
        }
    }

    /// <summary>
    /// Every sum starts at +0, and +0 plus zeros stays +0, so a sum reaches -0 only when a negative
    /// subnormal partial sum is flushed. Here each channel's listed terms mostly alternate 1.5e-38
    /// and -1.6e-38 (their sum, -1e-39, flushes to -0), so the sums keep returning to -0, among
    /// zero terms of both signs from gradients ±0, subnormal (flushed to a signed zero) or normal at
    /// elements the term excludes: every way the packed and the full chain can hold zeros of
    /// different signs.
    /// </summary>
    [Test]
    public void Zero_sums_keep_the_full_chains_sign(
        [Values(1, 2, 3, 7, 15)] int d, [Values(1, 5, 515, (int)PatternArea.LanesCopyThreshold + 3)] int rows,
        [Values("separate", "over gradients", "over inputs")] string output, [Values(false, true)] bool streamed)
    {
        long saved = streamed ? ForcedStreamingAttribute.Begin() : FastPath.StreamThreshold;
        try
        {
            for (int seed = 0; seed < 16; seed++)
            {
                int n = rows * d;
                (float[] g, float[] x) = ZeroSumData(n, d, i => i % d, seed);
                float[] min = Enumerable.Repeat(-1f, d).ToArray(), max = Enumerable.Repeat(1f, d).ToArray();

                // A one-element offset makes a streamed call start with lead elements.
                int offset = seed % 3 == 0 ? 1 : 0;
                float[] gBuffer = new float[n + 1], xBuffer = new float[n + 1], bBuffer = new float[n + 1];
                g.CopyTo(gBuffer, offset);
                x.CopyTo(xBuffer, offset);
                Span<float> gs = gBuffer.AsSpan(offset, n), xs = xBuffer.AsSpan(offset, n);
                Span<float> bs = output switch
                {
                    "over gradients" => gs,
                    "over inputs" => xs,
                    _ => bBuffer.AsSpan(offset, n),
                };
                AssertGradientIsTheReferences(g, x, min, max, gs, xs, bs, $"seed {seed}: ");
            }
        }
        finally
        {
            ForcedStreamingAttribute.End(saved);
        }
    }

    /// <summary>
    /// Data as in training — gradients normal or ±0, inputs spread past both ends of the range —
    /// over several tiles, so every vector takes the fast step; then one tiny, subnormal, NaN or infinite
    /// gradient planted in a late tile (at an input below the range): not in place, that tile runs
    /// again exactly; in place, that vector takes the exact step.
    /// </summary>
    [Test]
    public void Training_like_data_equals_the_reference_in_place_or_not(
        [Values(1, 2, 3, 5, 7, 15)] int d, [Values("none", "tiny", "subnormal", "NaN", "infinity")] string planted,
        [Values("separate", "over gradients", "over inputs")] string output, [Values(false, true)] bool streamed)
    {
        long saved = streamed ? ForcedStreamingAttribute.Begin() : FastPath.StreamThreshold;
        try
        {
            var rng = new Random(d * 31);
            int rows = ((3 * PatternArea.Tile) + 100) / d, n = rows * d;
            float[] min = Enumerable.Range(0, d).Select(c => -1f - (0.1f * c)).ToArray(), max = Enumerable.Range(0, d).Select(c => 1f + (0.05f * c)).ToArray();
            float[] g = new float[n], x = new float[n];
            for (int i = 0; i < n; i++)
            {
                int c = i % d;
                float width = max[c] - min[c];
                x[i] = min[c] - (0.2f * width) + (float)(rng.NextDouble() * 1.4 * width);
                g[i] = rng.Next(20) == 0 ? (rng.Next(2) == 0 ? 0f : -0f) : (float)((rng.NextDouble() * 2) - 1);
            }

            int at = n - 700;
            x[at] = min[at % d] - 1f;
            g[at] = planted switch
            {
                "tiny" => -1e-35f,
                "subnormal" => 1e-40f,
                "NaN" => float.NaN,
                "infinity" => float.PositiveInfinity,
                _ => g[at],
            };
            float[] gs = (float[])g.Clone(), xs = (float[])x.Clone();
            float[] bs = output switch
            {
                "over gradients" => gs,
                "over inputs" => xs,
                _ => new float[n],
            };
            AssertGradientIsTheReferences(g, x, min, max, gs, xs, bs);
        }
        finally
        {
            ForcedStreamingAttribute.End(saved);
        }
    }

    /// <summary>
    /// The pattern and rounds gradients above one <see cref="SumTree"/> leaf on two threads (each
    /// takes a subtree of leaves; the sums meet up the tree) — on training-like data, with every
    /// element outside the range (full lists), with NaN gradients, and with sums through -0.
    /// Bitwise the reference's, with and without streaming (and its lead).
    /// </summary>
    [Test]
    public void Two_threads_over_a_sum_tree_give_the_reference_bits(
        [Values(1, 3, 7)] int d, [Values("training", "all outside", "NaN gradients", "zero sums")] string data, [Values(false, true)] bool streamed)
    {
        long saved = streamed ? ForcedStreamingAttribute.Begin() : FastPath.StreamThreshold;
        int savedThreads = FakeQuant.MaxDegreeOfParallelism;
        try
        {
            FakeQuant.MaxDegreeOfParallelism = 2;
            int n = ((int)KernelRun.ParallelThreshold / d * d) + (50 * d) + d;
            float[] min = Enumerable.Range(0, d).Select(c => -1f - (0.1f * c)).ToArray(), max = Enumerable.Range(0, d).Select(c => 1f + (0.05f * c)).ToArray();
            float[] g, x;
            if (data == "zero sums")
            {
                Array.Fill(min, -1f);
                Array.Fill(max, 1f);
                (g, x) = ZeroSumData(n, d, i => i % d, d);
            }
            else
            {
                var rng = new Random(d + data.Length);
                g = new float[n];
                x = new float[n];
                for (int i = 0; i < n; i++)
                {
                    int c = i % d;
                    float width = max[c] - min[c];
                    x[i] = data == "all outside"
                        ? (rng.Next(2) == 0 ? min[c] - 1f : max[c] + 1f)
                        : min[c] - (0.2f * width) + (float)(rng.NextDouble() * 1.4 * width);
                    g[i] = data == "NaN gradients" && i % 97 != 0 ? float.NaN : (float)((rng.NextDouble() * 2) - 1);
                }
            }

            // A one-element offset gives a streamed call a lead.
            int offset = streamed ? 1 : 0;
            float[] gBuffer = new float[n + 1], xBuffer = new float[n + 1], bBuffer = new float[n + 1];
            g.CopyTo(gBuffer, offset);
            x.CopyTo(xBuffer, offset);
            AssertGradientIsTheReferences(g, x, min, max, gBuffer.AsSpan(offset, n), xBuffer.AsSpan(offset, n), bBuffer.AsSpan(offset, n));
        }
        finally
        {
            FakeQuant.MaxDegreeOfParallelism = savedThreads;
            ForcedStreamingAttribute.End(saved);
        }
    }

    /// <summary>The same data with the channel on axis 1 of <c>[3, d, inner]</c> (runs of one channel).</summary>
    [Test]
    public void Zero_sums_on_an_inner_axis_keep_the_full_chains_sign(
        [Values(1, 3)] int d, [Values(5, 37, 2100)] int inner, [Values("separate", "over gradients", "over inputs")] string output)
    {
        long[] shape = [3, d, inner];
        int n = 3 * d * inner;
        float[] min = Enumerable.Repeat(-1f, d).ToArray(), max = Enumerable.Repeat(1f, d).ToArray();
        for (int seed = 0; seed < 8; seed++)
        {
            (float[] g, float[] x) = ZeroSumData(n, d, i => i / inner % d, seed);
            float[] expectedLast = new float[n], eMin = new float[d], eMax = new float[d];
            FakeQuantReference.PerChannelGradient(AxisTests.ToChannelLast(g, shape, 1), AxisTests.ToChannelLast(x, shape, 1), min, max, 8, false,
                expectedLast, eMin, eMax);
            float[] b = output switch
            {
                "over gradients" => g,
                "over inputs" => x,
                _ => new float[n],
            };
            float[] aMin = new float[d], aMax = new float[d];
            FakeQuant.PerChannelGradient(g, x, shape, 1, min, max, 8, false, b, aMin, aMax);
            AssertBitwise(AxisTests.FromChannelLast(expectedLast, shape, 1), b, $"seed {seed}: backprops");
            AssertBitwise(eMin, aMin, $"seed {seed}: backprop_wrt_min");
            AssertBitwise(eMax, aMax, $"seed {seed}: backprop_wrt_max");
        }
    }

    /// <summary>
    /// Gradients and inputs of <see cref="Zero_sums_keep_the_full_chains_sign"/> for <paramref name="n"/>
    /// elements, element i belonging to channel <paramref name="channelOf"/>(i).
    /// </summary>
    private static (float[] G, float[] X) ZeroSumData(int n, int d, Func<int, int> channelOf, int seed)
    {
        var rng = new Random((seed * 7919) + d);
        float[] zeros = seed % 2 == 0 ? [0f, -0f, 1e-45f, -1e-45f, 0.5f, -2f] : [-0f, -0f, -0f, 0f, -1e-45f];
        float[] g = new float[n], x = new float[n];
        int[] belowSeen = new int[d], aboveSeen = new int[d];
        for (int i = 0; i < n; i++)
        {
            int c = channelOf(i), kind = rng.Next(5);
            x[i] = kind switch
            {
                0 => 0.25f,
                1 or 2 => -3f,
                _ => 3f,
            };
            ref int seen = ref kind is 1 or 2 ? ref belowSeen[c] : ref aboveSeen[c];
            g[i] = kind == 0 || rng.Next(4) == 0 ? zeros[rng.Next(zeros.Length)] : seen++ % 2 == 0 ? 1.5e-38f : -1.6e-38f;
        }

        return (g, x);
    }
}

/// <summary><see cref="PackedChainTests"/> with the 16-lane drivers (Vector512 in software where the machine lacks AVX-512).</summary>
[TestFixture]
[Category("Kernels")]
[ForcedWidth(512)]
public class Width512PackedChainTests : PackedChainTests;
