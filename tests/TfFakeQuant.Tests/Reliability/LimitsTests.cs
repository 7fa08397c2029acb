using NumSharp;
using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Size limits and index arithmetic. A tensor of more than <see cref="int.MaxValue"/> elements does
/// not fit a test machine, so these tests drive the 64-bit shape arithmetic directly: element
/// counts that overflow 64 bits, tensors too large for one array, dimensions beyond 32 bits next
/// to a zero one, and out-of-range <c>num_bits</c> at the lowest public level (a shift by 40 would
/// silently act like 8).
/// </summary>
public class LimitsTests
{
    private static readonly long[][] OverflowingShapes =
    [
        [1L << 32, 1L << 32],
        [1L << 32, 1L << 32, 1],
        [long.MaxValue, 2],
        [3, 1L << 62],
        [1L << 40, 1L << 40, 0], // TensorFlow rejects this too: the running product overflows before the 0
    ];

    [TestCaseSource(nameof(OverflowingShapes))]
    public void ElementCountsPast64BitsThrowInsteadOfWrapping(long[] dims)
    {
        TensorShape shape = TensorShape.Of(dims);
        Assert.Throws<OverflowException>(() => _ = shape.NumElements);
        System.Numerics.BigInteger rows = dims[..^1].Aggregate(System.Numerics.BigInteger.One, (a, d) => a * d);
        if (rows > long.MaxValue)
        {
            Assert.Throws<OverflowException>(() => shape.AsMatrix());
        }
        else
        {
            Assert.That(shape.AsMatrix(), Is.EqualTo(((long)rows, dims[^1])), "the [rows, channels] view does not multiply the channels in");
        }
        Assert.Throws<ArgumentException>(() => FloatTensor.Zeros(shape));
        Assert.Throws<ArgumentException>(() => _ = new FloatTensor(shape, []));
    }

    [TestCase(1L << 31)]
    [TestCase(1L << 40)]
    [TestCase((long)int.MaxValue + 1)]
    public void TensorsLargerThanOneArrayAreRefusedBeforeAllocating(long n)
    {
        TensorShape shape = TensorShape.Of(n);
        Assert.That(shape.NumElements, Is.EqualTo(n));
        var ex = Assert.Throws<ArgumentException>(() => FloatTensor.Zeros(shape));
        Assert.That(ex!.Message, Does.Contain("more than one array can hold"));
        Assert.Throws<ArgumentException>(() => FloatTensor.Zeros(TensorShape.Of(2, n / 2 + 1)));
    }

    [Test]
    public void HugeDimensionsBesideAZeroGiveEmptyTensorsAndExactMatrixViews()
    {
        TensorShape shape = TensorShape.Of(1L << 40, 0, 1L << 20);
        Assert.That(shape.NumElements, Is.Zero);
        Assert.That(shape.AsMatrix(), Is.EqualTo((0L, 1L << 20)));
        Assert.That(TensorShape.Of(0, 1L << 40, 3).AsMatrix(), Is.EqualTo((0L, 3L)));
        Assert.That(TensorShape.Of(1L << 33, 0).AsMatrix(), Is.EqualTo((1L << 33, 0L)), "rows are 64-bit: 2^33 rows of 0 channels");

        // The ops accept such empty tensors (TensorFlow does) and give empty outputs of the same shape.
        var x = new FloatTensor(TensorShape.Of(1L << 33, 0), []);
        FloatTensor y = FakeQuantOps.PerChannel(x, FloatTensor.Vector(), FloatTensor.Vector());
        Assert.That(y.Shape, Is.EqualTo(x.Shape));
        Assert.That(FakeQuantOps.Args(new FloatTensor(TensorShape.Of(0, 1L << 40), [])).Shape, Is.EqualTo(TensorShape.Of(0, 1L << 40)));

        // A per-channel range of 2^40 channels cannot exist; the check reports the size TF-style, in 64 bits.
        var wide = new FloatTensor(TensorShape.Of(0, 1L << 40), []);
        var ex = Assert.Throws<InvalidArgumentException>(() => FakeQuantOps.PerChannel(wide, FloatTensor.Vector(1f), FloatTensor.Vector(2f)));
        Assert.That(ex!.Message, Is.EqualTo("min has incorrect size, expected 1099511627776 was 1"));

        // NumSharp (0.70) shapes are 64-bit: such a tensor converts, and the NumSharp path of the
        // ops accepts it as well.
        using NDArray array = FakeQuantOps.ToNDArray(wide);
        Assert.That(array.shape, Is.EqualTo(new[] { 0L, 1L << 40 }));
        Assert.That(FakeQuantOps.ToTensor(array).Shape, Is.EqualTo(wide.Shape));
        using NDArray quantized = FakeQuantOps.Args(array);
        Assert.That(quantized.shape, Is.EqualTo(new[] { 0L, 1L << 40 }));
    }

    [Test]
    public void PartialShapesHaveNoElementCountOrMatrixView()
    {
        Assert.Throws<InvalidOperationException>(() => _ = TensorShape.Of(-1, 3).NumElements);
        Assert.Throws<InvalidOperationException>(() => TensorShape.Of(-1, 3).AsMatrix());
        Assert.Throws<InvalidOperationException>(() => TensorShape.Unknown.AsMatrix());
        Assert.Throws<InvalidOperationException>(() => TensorShape.Scalar.AsMatrix());
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorShape.Of(-2L));
    }

    [TestCase(-5)]
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(17)]
    [TestCase(24)] // 1 << 24 would "work" and quantize to 16M levels
    [TestCase(32)] // 1 << 32 == 1 on x64: would silently act like num_bits 0
    [TestCase(40)] // 1 << 40 == 1 << 8: would silently act like num_bits 8
    [TestCase(int.MinValue)]
    [TestCase(int.MaxValue)]
    public void OutOfRangeNumBitsIsRefusedAtEveryPublicLevel(int numBits)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantRange.QuantMax(numBits));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantRange.Nudge(-1f, 1f, numBits, false));
        float[] x = [0.3f, -2f], y = new float[2];
        Assert.Throws<ArgumentOutOfRangeException>(() => FakeQuantReference.Args(x, -1f, 1f, numBits, false, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => FakeQuantReference.PerChannel(x, [-1f, -1f], [1f, 1f], numBits, false, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => FakeQuant.Vars(x, -1f, 1f, numBits, false, y));
        var ex = Assert.Throws<InvalidArgumentException>(() => FakeQuantOps.Vars(FloatTensor.Vector(x), FloatTensor.Scalar(-1f), FloatTensor.Scalar(1f), numBits));
        Assert.That(ex!.Message, Is.EqualTo("num_bits must be between 2 and 16, inclusive"));
        Assert.That(y, Is.EqualTo(new float[2]), "nothing was written");
    }

    [TestCase(2, 3)]
    [TestCase(16, 65535)]
    public void QuantMaxAtTheEndsOfTheRange(int numBits, int expected) => Assert.That(QuantRange.QuantMax(numBits), Is.EqualTo(expected));

    [TestCase(int.MaxValue + 1L)]
    [TestCase(long.MaxValue)]
    [TestCase(long.MinValue)]
    [TestCase(int.MinValue - 1L)]
    public void Int64NumBitsOutsideInt32GivesTensorFlowsAttrText(long numBits)
    {
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            FakeQuantOps.Execute(FakeQuantCatalog.VarsPerChannel, [FloatTensor.Vector(1f), FloatTensor.Vector(-1f), FloatTensor.Vector(1f)],
                new FakeQuantAttrs(numBits)));
        Assert.That(ex!.Message, Is.EqualTo($"Attr num_bits has value {numBits} out of range for an int32"));
    }
}

/// <summary>The axis overloads' shape arithmetic: products that wrap 64 bits must not pass for a matching length.</summary>
public class AxisLimitsTests
{
    private static readonly object[] WrappingShapes =
    [
        new object[] { new long[] { 4, 1L << 62 }, 0 },          // 4 * 2^62 wraps to 0
        new object[] { new long[] { 1L << 62, 4 }, 1 },
        new object[] { new long[] { 2, 1L << 63 - 1, 2 }, 0 },
        new object[] { new long[] { 3, 1L << 32, 1L << 32 }, 0 }, // past int.MaxValue, no wrap
        new object[] { new long[] { 16, 1L << 60, 1 }, 2 },       // 2^64 wraps to 0 before the channel axis
    ];

    [TestCaseSource(nameof(WrappingShapes))]
    public void ShapesWhoseProductWrapsAreRefused(long[] shape, int axis)
    {
        int channels = (int)Math.Min(shape[axis], 8);
        float[] min = Enumerable.Repeat(-1f, channels).ToArray(), max = Enumerable.Repeat(1f, channels).ToArray();
        float[] empty = [];
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(empty, shape, axis, min, max, 8, false, empty));
        float[] dMin = new float[channels], dMax = new float[channels];
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannelGradient(empty, empty, shape, axis, min, max, 8, false, empty, dMin, dMax));
    }
}
