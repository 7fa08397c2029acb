using System.Runtime.Intrinsics;
using TfFakeQuant.Kernels;
using TfFakeQuant.Kernels.Fast;
using static TfFakeQuant.Tests.Kernels.KernelData;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// The channel-last gradient for <c>2 ≤ d &lt; W</c> with <c>ceil(W/d) ≤ 4</c>
/// (<see cref="Driver{S, TV}.GradientRounds"/>): its lane operations
/// (<see cref="ISimd{TV}.Permute"/>, <see cref="ISimd{TV}.Pick"/>) at every width, and the whole
/// driver against the scalar reference for every such d at 128, 256 and 512 bits — two, three and
/// four rounds, with and without −0 fills, an odd last vector, the lead of a streamed call, the
/// scalar tail, in place over either input, with the reference's special ranges and gradients and
/// with long stretches of training-like data (every pair on the fast step).
/// </summary>
[TestFixture]
[Category("Kernels")]
public class RoundsTests
{
    private static readonly int[] RowCounts = [1, 2, 3, 4, 5, 9, 17, 33, 130, 1031];

    [Test]
    public void Permute_and_pick_move_lanes_by_index_and_fill_negative_indices_with_negative_zero()
    {
        var rng = new Random(7);
        float[] values = Enumerable.Range(0, 16).Select(i => (i % 3 == 0 ? -1f : 1f) * (100f + i)).ToArray();
        for (int trial = 0; trial < 200; trial++)
        {
            int[] index = Enumerable.Range(0, 16).Select(_ => rng.Next(4) == 0 ? int.MinValue + rng.Next(64) : rng.Next(64)).ToArray();
            float[] lanes = index.Select(BitConverter.Int32BitsToSingle).ToArray();
            foreach (int w in new[] { 16, 8, 4, 1 })
            {
                float[] permuted = new float[w], picked = new float[w];
                switch (w)
                {
                    case 16:
                        Simd512.Permute(Vector512.Create(values), Vector512.Create(lanes)).CopyTo(permuted);
                        Simd512.Pick(Vector512.Create(values), Vector512.Create(lanes)).CopyTo(picked);
                        break;
                    case 8:
                        Simd256.Permute(Vector256.Create(values.AsSpan(0, 8)), Vector256.Create(lanes.AsSpan(0, 8))).CopyTo(permuted);
                        Simd256.Pick(Vector256.Create(values.AsSpan(0, 8)), Vector256.Create(lanes.AsSpan(0, 8))).CopyTo(picked);
                        break;
                    case 4:
                        Simd128.Permute(Vector128.Create(values.AsSpan(0, 4)), Vector128.Create(lanes.AsSpan(0, 4))).CopyTo(permuted);
                        Simd128.Pick(Vector128.Create(values.AsSpan(0, 4)), Vector128.Create(lanes.AsSpan(0, 4))).CopyTo(picked);
                        break;
                    default:
                        permuted[0] = SimdScalar.Permute(values[0], lanes[0]);
                        picked[0] = SimdScalar.Pick(values[0], lanes[0]);
                        break;
                }

                for (int j = 0; j < w; j++)
                {
                    float source = values[index[j] & (w - 1)];
                    AssertBitwise(source, permuted[j], $"width {w}, trial {trial}: permuted lane {j}");
                    AssertBitwise(index[j] < 0 ? -0f : source, picked[j], $"width {w}, trial {trial}: picked lane {j}");
                }
            }
        }
    }

    /// <summary>
    /// Every d the rounds driver takes at the width, on the kernel suite's data: ranges of every
    /// special kind (zero range, subnormal bounds, NaN, min &gt; max …), inputs on the nudged bounds
    /// and ties, gradients with specials and tiny values (pairs on the exact step beside pairs on
    /// the fast one). A one-element offset gives streamed calls a lead; the canaries around the
    /// output catch a write past either end.
    /// </summary>
    [Test]
    public void Every_channel_count_equals_the_reference_at_every_width(
        [Values(128, 256, 512)] int width, [Values("separate", "over gradients", "over inputs")] string output, [Values(false, true)] bool streamed)
    {
        RunAtWidth(width, streamed, () =>
        {
            foreach (int d in RoundsChannelCounts(width))
            {
                foreach (int rows in RowCounts)
                {
                    int seed = (d * 1000) + rows;
                    (float[] min, float[] max) = Ranges(d, seed);
                    float[] x = Values(rows * d, i => (min[i % d], max[i % d]), 8, seed % 2 == 0, seed + 1);
                    float[] g = Gradients(rows * d, seed + 2);
                    AssertEqualsTheReference(g, x, min, max, output, offset: rows % 2, $"width {width}, [{rows},{d}], {output}");
                }
            }
        });
    }

    /// <summary>
    /// Training-like data — gradients in [-1, 1], inputs spread past both ends of ordinary ranges —
    /// over thousands of vectors, so long stretches take the fast step and every sum rounds at
    /// almost every add; then the same with one tiny gradient planted per few hundred elements.
    /// </summary>
    [Test]
    public void Training_like_data_equals_the_reference_at_every_width(
        [Values(128, 256, 512)] int width, [Values("separate", "over gradients", "over inputs")] string output, [Values(false, true)] bool streamed,
        [Values(false, true)] bool tiny)
    {
        RunAtWidth(width, streamed, () =>
        {
            foreach (int d in RoundsChannelCounts(width))
            {
                var rng = new Random(d + (tiny ? 100 : 0));
                int rows = (20000 / d) + 1, n = rows * d;
                float[] min = Enumerable.Range(0, d).Select(c => -1f - (0.1f * c)).ToArray(), max = Enumerable.Range(0, d).Select(c => 0.5f + (0.25f * c)).ToArray();
                float[] g = new float[n], x = new float[n];
                for (int i = 0; i < n; i++)
                {
                    int c = i % d;
                    float span = max[c] - min[c];
                    x[i] = min[c] + (float)(((rng.NextDouble() * 1.2) - 0.1) * span);
                    g[i] = tiny && rng.Next(300) == 0 ? (float)(rng.NextDouble() - 0.5) * 1e-32f : (float)((rng.NextDouble() * 2) - 1);
                }

                AssertEqualsTheReference(g, x, min, max, output, offset: 1, $"width {width}, [{rows},{d}], {output}, tiny {tiny}");
            }
        });
    }

    /// <summary>
    /// Sums that live at the edge of the normal range: most inputs outside the range, gradients
    /// ±1.5e-38 and ±1.6e-38 (partial sums that land on subnormals and flush, often to −0),
    /// subnormal and ±0 gradients, a few ordinary ones — where each flush of the reference
    /// changes the result and a sum at −0 meets zero terms of both signs and −0 fills.
    /// </summary>
    [Test]
    public void Sums_through_the_subnormal_range_equal_the_reference_at_every_width(
        [Values(128, 256, 512)] int width, [Values("separate", "over gradients")] string output, [Values(false, true)] bool streamed)
    {
        float[] kinds = [1.5e-38f, -1.6e-38f, 1.6e-38f, -1.5e-38f, 1e-39f, -1e-39f, 0f, -0f, 0.25f, -0.5f];
        RunAtWidth(width, streamed, () =>
        {
            foreach (int d in RoundsChannelCounts(width))
            {
                for (int seed = 0; seed < 4; seed++)
                {
                    var rng = new Random((d * 10) + seed);
                    int rows = 64 + seed, n = rows * d;
                    float[] min = Enumerable.Repeat(-1f, d).ToArray(), max = Enumerable.Repeat(1f, d).ToArray();
                    float[] g = new float[n], x = new float[n];
                    for (int i = 0; i < n; i++)
                    {
                        g[i] = kinds[rng.Next(seed < 2 ? 8 : kinds.Length)];
                        x[i] = rng.Next(4) switch { 0 => 0.5f, 1 => 2f, _ => -2f };
                    }

                    AssertEqualsTheReference(g, x, min, max, output, offset: seed % 2, $"width {width}, [{rows},{d}], seed {seed}, {output}");
                }
            }
        });
    }

    /// <summary>The d that <see cref="FastPath"/> sends to the rounds driver at <paramref name="width"/> bits.</summary>
    private static int[] RoundsChannelCounts(int width)
    {
        int lanes = width / 32;
        int[] counts = Enumerable.Range(1, lanes).Where(d => Driver<SimdScalar, float>.RoundsTake((nuint)d, (nuint)lanes)).ToArray();
        Assert.That(counts, Is.Not.Empty);
        return counts;
    }

    private static void RunAtWidth(int width, bool streamed, Action body)
    {
        int savedWidth = FastPath.WidthBits;
        long savedThreshold = streamed ? ForcedStreamingAttribute.Begin() : FastPath.StreamThreshold;
        try
        {
            FastPath.WidthBits = width;
            body();
        }
        finally
        {
            FastPath.WidthBits = savedWidth;
            ForcedStreamingAttribute.End(savedThreshold);
        }
    }

    private static void AssertEqualsTheReference(float[] g, float[] x, float[] min, float[] max, string output, int offset, string what)
    {
        int n = g.Length;
        float[] gBuffer = Padded(n + 1), xBuffer = Padded(n + 1), bBuffer = Padded(n + 1);
        g.CopyTo(Inner(gBuffer)[offset..]);
        x.CopyTo(Inner(xBuffer)[offset..]);
        Span<float> gs = Inner(gBuffer).Slice(offset, n), xs = Inner(xBuffer).Slice(offset, n);
        float[] written = output switch
        {
            "over gradients" => gBuffer,
            "over inputs" => xBuffer,
            _ => bBuffer,
        };
        AssertGradientIsTheReferences(g, x, min, max, gs, xs, Inner(written).Slice(offset, n), $"{what}: ");
        AssertCanaries(written, what);
    }
}
