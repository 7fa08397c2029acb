using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;
using static TfFakeQuant.Tests.Kernels.KernelData;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// The channel on any axis: every result equals moving that axis last, running the scalar
/// reference (TensorFlow's op) and moving it back — bitwise, sums included.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class AxisTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        long[][] shapes =
        [
            [5], [7, 3], [2, 3, 4], [3, 3, 16, 16], [4, 7, 9, 2], [2, 1031], [17, 1, 33], [2, 0, 5], [1, 2, 3, 4, 5, 3], [3, 5, 2057],
        ];
        int seed = 50;
        foreach (long[] shape in shapes)
        {
            for (int axis = -shape.Length; axis < shape.Length; axis++)
            {
                yield return new TestCaseData(shape, axis, seed++).SetName($"[{string.Join(",", shape)}] axis {axis}");
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Axis_variant_equals_transpose_around_the_reference(long[] shape, int axis, int seed)
    {
        int rank = shape.Length;
        int a = axis < 0 ? axis + rank : axis;
        int channels = (int)shape[a];
        int n = (int)shape.Aggregate(1L, (p, v) => p * v);
        long inner = shape.Skip(a + 1).Aggregate(1L, (p, v) => p * v);
        (float[] min, float[] max) = Ranges(channels, seed);
        float[] x = Values(n, i => (min[ChannelOf(i)], max[ChannelOf(i)]), 8, false, seed + 1);
        float[] g = Gradients(n, seed + 2);

        // Reference on the transposed (channel-last) tensor.
        float[] xt = ToChannelLast(x, shape, a), gt = ToChannelLast(g, shape, a);
        float[] yt = new float[n], bt = new float[n], eMin = new float[channels], eMax = new float[channels];
        FakeQuantReference.PerChannel(xt, min, max, 8, false, yt);
        FakeQuantReference.PerChannelGradient(gt, xt, min, max, 8, false, bt, eMin, eMax);
        float[] expectedY = FromChannelLast(yt, shape, a), expectedB = FromChannelLast(bt, shape, a);

        float[] y = Padded(n);
        FakeQuant.PerChannel(x, shape, axis, min, max, 8, false, Inner(y));
        AssertBitwise(expectedY, Inner(y), "outputs");
        AssertCanaries(y, "outputs");

        float[] b = Padded(n), sMin = Padded(channels), sMax = Padded(channels);
        FakeQuant.PerChannelGradient(g, x, shape, axis, min, max, 8, false, Inner(b), Inner(sMin), Inner(sMax));
        AssertBitwise(expectedB, Inner(b), "backprops_wrt_input");
        AssertBitwise(eMin, Inner(sMin), "backprop_wrt_min");
        AssertBitwise(eMax, Inner(sMax), "backprop_wrt_max");
        AssertCanaries(b, "backprops_wrt_input");
        AssertCanaries(sMin, "backprop_wrt_min");

        float[] inPlace = (float[])g.Clone();
        float[] iMin = new float[channels], iMax = new float[channels];
        FakeQuant.PerChannelGradient(inPlace, x, shape, axis, min, max, 8, false, inPlace, iMin, iMax);
        AssertBitwise(expectedB, inPlace, "in place");
        AssertBitwise(eMax, iMax, "backprop_wrt_max (in place)");

        int ChannelOf(int i) => (int)(i / inner % channels);
    }

    [Test]
    public void Axis_variants_on_a_large_tensor_give_identical_bits_on_one_and_two_threads([Values(0, 1, 2)] int axis)
    {
        long[] shape = [64, 96, 48];
        int n = 64 * 96 * 48;
        int channels = (int)shape[axis];
        (float[] min, float[] max) = Ranges(channels, axis);
        float[] x = Values(n, i => (min[0], max[0]), 8, false, 3);
        float[] g = Gradients(n, 4);
        int saved = FakeQuant.MaxDegreeOfParallelism;
        try
        {
            FakeQuant.MaxDegreeOfParallelism = 1;
            float[] b1 = new float[n], min1 = new float[channels], max1 = new float[channels], y1 = new float[n];
            FakeQuant.PerChannelGradient(g, x, shape, axis, min, max, 8, false, b1, min1, max1);
            FakeQuant.PerChannel(x, shape, axis, min, max, 8, false, y1);
            FakeQuant.MaxDegreeOfParallelism = 2;
            float[] b2 = new float[n], min2 = new float[channels], max2 = new float[channels], y2 = new float[n];
            FakeQuant.PerChannelGradient(g, x, shape, axis, min, max, 8, false, b2, min2, max2);
            FakeQuant.PerChannel(x, shape, axis, min, max, 8, false, y2);
            AssertBitwise(b1, b2, "backprops");
            AssertBitwise(min1, min2, "backprop_wrt_min");
            AssertBitwise(max1, max2, "backprop_wrt_max");
            AssertBitwise(y1, y2, "outputs");
        }
        finally
        {
            FakeQuant.MaxDegreeOfParallelism = saved;
        }
    }

    [TestCase(2, TestName = "axis 2 of a rank-2 shape")]
    [TestCase(-3, TestName = "axis -3 of a rank-2 shape")]
    public void Bad_axis_is_a_clear_ArgumentException(int axis)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            FakeQuant.PerChannel(new float[6], new long[] { 2, 3 }, axis, new float[3], new float[3], 8, false, new float[6]));
        Assert.That(ex!.ParamName, Is.EqualTo("axis"));
        Assert.That(ex.Message, Does.Contain($"Axis {axis} is out of range for a tensor of rank 2"));
    }

    [Test]
    public void Shape_and_channel_mismatches_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], ReadOnlySpan<long>.Empty, 0, new float[1], new float[1], 8, false, new float[6]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], new long[] { 2, 4 }, 0, new float[2], new float[2], 8, false, new float[6]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], new long[] { 2, 3 }, 0, new float[3], new float[3], 8, false, new float[6]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannelGradient(new float[6], new float[6], new long[] { 2, -3 }, 0, new float[2], new float[2], 8, false,
            new float[6], new float[2], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FakeQuant.PerChannel(new float[6], new long[] { 2, 3 }, 0, new float[2], new float[2], 17, false, new float[6]));
    }

    [Test]
    public void Last_axis_equals_the_TensorFlow_op()
    {
        long[] shape = [4, 5, 6];
        (float[] min, float[] max) = Ranges(6, 1);
        float[] x = Values(120, i => (min[i % 6], max[i % 6]), 8, false, 2);
        float[] expected = new float[120], actual = new float[120];
        FakeQuant.PerChannel(x, min, max, 8, false, expected);
        FakeQuant.PerChannel(x, shape, -1, min, max, 8, false, actual);
        AssertBitwise(expected, actual, "outputs");
    }

    [Test]
    public void Op_level_axis_entry_points_match_the_span_kernels()
    {
        var shape = TensorShape.Of(3, 4, 5);
        (float[] min, float[] max) = Ranges(4, 3);
        float[] x = Values(60, i => (min[i / 5 % 4], max[i / 5 % 4]), 8, true, 4);
        float[] g = Gradients(60, 5);
        FloatTensor y = FakeQuantOps.PerChannel(new FloatTensor(shape, x), new FloatTensor(TensorShape.Of(4), min), new FloatTensor(TensorShape.Of(4), max),
            axis: 1, numBits: 8, narrowRange: true);
        float[] expected = new float[60];
        FakeQuant.PerChannel(x, [3, 4, 5], 1, min, max, 8, true, expected);
        AssertBitwise(expected, y.Span, "outputs");

        var (dx, dMin, dMax) = FakeQuantOps.PerChannelGradient(new FloatTensor(shape, g), new FloatTensor(shape, x), new FloatTensor(TensorShape.Of(4), min),
            new FloatTensor(TensorShape.Of(4), max), axis: -2, numBits: 8, narrowRange: true);
        float[] eb = new float[60], eMin = new float[4], eMax = new float[4];
        FakeQuant.PerChannelGradient(g, x, [3, 4, 5], 1, min, max, 8, true, eb, eMin, eMax);
        AssertBitwise(eb, dx.Span, "backprops");
        AssertBitwise(eMin, dMin.Span, "backprop_wrt_min");
        AssertBitwise(eMax, dMax.Span, "backprop_wrt_max");
        Assert.That(dx.Shape, Is.EqualTo(shape));

        var bad = Assert.Throws<InvalidArgumentException>(() => FakeQuantOps.PerChannel(new FloatTensor(shape, x), new FloatTensor(TensorShape.Of(5), new float[5]),
            new FloatTensor(TensorShape.Of(5), new float[5]), axis: 1, numBits: 8, narrowRange: false));
        Assert.That(bad!.Message, Is.EqualTo("min has incorrect size, expected 4 was 5"));
    }

    internal static float[] ToChannelLast(float[] src, long[] shape, int axis) => Transpose(src, shape, axis, toChannelLast: true);

    internal static float[] FromChannelLast(float[] src, long[] shape, int axis) => Transpose(src, shape, axis, toChannelLast: false);

    /// <summary>Moves the channel axis of <c>[outer, C, inner]</c> data last, or back from last.</summary>
    private static float[] Transpose(float[] src, long[] shape, int axis, bool toChannelLast)
    {
        long outer = shape.Take(axis).Aggregate(1L, (p, v) => p * v), inner = shape.Skip(axis + 1).Aggregate(1L, (p, v) => p * v);
        long c = shape[axis];
        float[] dst = new float[src.Length];
        for (long o = 0; o < outer; o++)
        {
            for (long ch = 0; ch < c; ch++)
            {
                for (long i = 0; i < inner; i++)
                {
                    long native = (((o * c) + ch) * inner) + i, last = (((o * inner) + i) * c) + ch;
                    if (toChannelLast)
                    {
                        dst[last] = src[native];
                    }
                    else
                    {
                        dst[native] = src[last];
                    }
                }
            }
        }

        return dst;
    }
}
