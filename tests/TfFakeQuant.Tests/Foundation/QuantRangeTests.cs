using TfFakeQuant.Quantization;

namespace TfFakeQuant.Tests.Foundation;

/// <summary>SPEC.md's nudging rules, including its float32 traps.</summary>
public class QuantRangeTests
{
    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);

    [TestCase(1e-45f, 0)]
    [TestCase(-1e-45f, unchecked((int)0x80000000))]
    [TestCase(-3e-39f, unchecked((int)0x80000000))]
    [TestCase(1.17549435E-38f, 0x00800000)]
    [TestCase(-1.17549435E-38f, unchecked((int)0x80800000))]
    [TestCase(1f, 0x3F800000)]
    public void FlushKeepsTheSignAndOnlyTouchesSubnormals(float value, int expectedBits) =>
        Assert.That(Bits(Subnormals.Flush(value)), Is.EqualTo(expectedBits));

    [Test]
    public void FlushLeavesNaNAndInfinities()
    {
        Assert.That(float.IsNaN(Subnormals.Flush(float.NaN)), Is.True);
        Assert.That(Subnormals.Flush(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity));
        Assert.That(Subnormals.Flush(float.NegativeInfinity), Is.EqualTo(float.NegativeInfinity));
    }

    [Test]
    public void MinusTenToTenGivesZeroPoint127NotTheExactHalf()
    {
        // zpf = 0 - (-10 / (20/255)) = 127.49999 in float32, so the zero point is 127.
        Assert.That(QuantRange.Nudge(-10f, 10f, 8, false).ZeroPoint, Is.EqualTo(127));
    }

    [Test]
    public void ExactHalfRoundsAwayFromZero()
    {
        // [-0.75, 0.75]: zpf is exactly 127.5 → 128.
        Assert.That(QuantRange.Nudge(-0.75f, 0.75f, 8, false).ZeroPoint, Is.EqualTo(128));

        // [-2.5, 0.5] at 2 bits: scale 1, zpf exactly 2.5 → 3 (banker's rounding would give 2).
        QuantRange q = QuantRange.Nudge(-2.5f, 0.5f, 2, false);
        Assert.That(q.ZeroPoint, Is.EqualTo(3));
    }

    [Test]
    public void RangesThatExcludeZeroAreShiftedToIncludeIt()
    {
        QuantRange q = QuantRange.Nudge(12f, 123f, 8, false);
        Assert.That(q.ZeroPoint, Is.EqualTo(0));
        Assert.That(q.NudgedMin, Is.EqualTo(0f));
        Assert.That(q.NudgedMax, Is.EqualTo(111f).Within(1e-4f));

        QuantRange negative = QuantRange.Nudge(-123f, -12f, 8, false);
        Assert.That(negative.ZeroPoint, Is.EqualTo(255));
        Assert.That(negative.NudgedMax, Is.EqualTo(0f));
    }

    [Test]
    public void SixteenBitNarrowRangeUsesLevels1To65535()
    {
        QuantRange q = QuantRange.Nudge(-1f, 1f, 16, true);
        Assert.That(q.Scale, Is.EqualTo(2f / 65534f));
        Assert.That(q.ZeroPoint, Is.EqualTo(32768));
        Assert.That(q.NudgedMin, Is.EqualTo((1f - 32768f) * (2f / 65534f)));
        Assert.That(q.NudgedMax, Is.EqualTo((65535f - 32768f) * (2f / 65534f)));
    }

    [Test]
    public void InvScaleIsComputedByDivisionNotAsTheReciprocal()
    {
        QuantRange q = QuantRange.Nudge(-0.3f, 0.7f, 8, false);
        Assert.That(q.InvScale, Is.EqualTo(255f / (0.7f - -0.3f)));
        Assert.That(q.Scale, Is.EqualTo((0.7f - -0.3f) / 255f));
    }

    [TestCase(float.NaN, 1f, false)]
    [TestCase(float.NaN, 1f, true)]
    [TestCase(float.NegativeInfinity, 1f, true)]
    [TestCase(0f, 1.2e-38f, true)]
    public void NaNZeroPointBecomesZeroEvenWithNarrowRange(float min, float max, bool narrow)
    {
        // zpf is NaN (NaN bound, -Inf/Inf, or 0/0 after the scale flushed to zero): TensorFlow's uint16 cast gives 0.
        Assert.That(QuantRange.Nudge(min, max, 8, narrow).ZeroPoint, Is.EqualTo(0));
    }

    [TestCase(0f, 0f)]
    [TestCase(-0f, 0f)]
    [TestCase(0f, -0f)]
    [TestCase(-1e-45f, 1e-45f)]
    [TestCase(-3e-39f, 0f)]
    public void ZeroRangeIncludesSignedAndSubnormalZeros(float min, float max) =>
        Assert.That(QuantRange.Nudge(min, max, 8, false).IsZeroRange, Is.True);

    [Test]
    public void SmallestNormalIsNotAZeroRange() =>
        Assert.That(QuantRange.Nudge(0f, 1.17549435E-38f, 8, false).IsZeroRange, Is.False);

    [Test]
    public void SubnormalScaleFlushesToZero() =>
        Assert.That(Bits(QuantRange.Nudge(0f, 1e-36f, 8, false).Scale), Is.EqualTo(0));
}
