using TfFakeQuant.Kernels;

namespace TfFakeQuant.Tests.Foundation;

/// <summary>SPEC.md's traps for the kernels: ties, signs of zero, NaN/Inf, subnormals, degenerate ranges.</summary>
public class ReferenceKernelTrapTests
{
    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);

    private static float PerChannel1(float x, float min, float max, int bits = 8, bool narrow = false)
    {
        float[] y = new float[1];
        FakeQuant.PerChannel([x], [min], [max], bits, narrow, y);
        return y[0];
    }

    private static float Vars1(float x, float min, float max, int bits = 8, bool narrow = false)
    {
        float[] y = new float[1];
        FakeQuant.Vars([x], min, max, bits, narrow, y);
        return y[0];
    }

    private static (float Dx, float DMin, float DMax) Grad1(float g, float x, float min, float max)
    {
        float[] dx = new float[1], dMin = new float[1], dMax = new float[1];
        FakeQuant.PerChannelGradient([g], [x], [min], [max], 8, false, dx, dMin, dMax);
        return (dx[0], dMin[0], dMax[0]);
    }

    [Test]
    public void TheSpecCheckValuesForMinusSixToSix()
    {
        Assert.That(PerChannel1(2f, -6f, 6f), Is.EqualTo(2.0235295f));
        Assert.That(Vars1(2f, -6f, 6f), Is.EqualTo(1.9764706f));
        float[] y = new float[1];
        FakeQuant.Args([2f], -6f, 6f, 8, false, y);
        Assert.That(y[0], Is.EqualTo(2.0235295f));
    }

    [Test]
    public void VarsDividesAndPerChannelMultipliesSoTiesDiffer()
    {
        // The same input and range: the per-tensor Vars op and the per-channel op disagree at a tie.
        Assert.That(Vars1(2f, -6f, 6f), Is.Not.EqualTo(PerChannel1(2f, -6f, 6f)));
    }

    [Test]
    public void OutputsHaveNoNudgedMinOffset()
    {
        // TF >= 2.9: out = floor(...) * scale, no "+ nudged_min": the outputs are multiples of scale around 0.
        float y = PerChannel1(-6f, -6f, 6f);
        Assert.That(y, Is.EqualTo(-127f * (12f / 255f)).Within(0f));
    }

    [Test]
    public void NaNInputsStayNaNAndZeroRangeChannelsGivePlusZero()
    {
        Assert.That(float.IsNaN(PerChannel1(float.NaN, -1f, 1f)), Is.True);
        Assert.That(Bits(PerChannel1(float.NaN, 0f, -0f)), Is.EqualTo(0));
        Assert.That(Bits(PerChannel1(-5f, -1e-45f, 1e-45f)), Is.EqualTo(0));
        Assert.That(Bits(Vars1(float.NaN, 0f, 0f)), Is.EqualTo(0));
    }

    [Test]
    public void InfinitiesClampToTheNudgedRange()
    {
        Assert.That(PerChannel1(float.PositiveInfinity, -1f, 1f), Is.EqualTo(PerChannel1(1f, -1f, 1f)));
        Assert.That(PerChannel1(float.NegativeInfinity, -1f, 1f), Is.EqualTo(PerChannel1(-1f, -1f, 1f)));
    }

    [Test]
    public void NegativeGradientAtAnExcludedPositionGivesMinusZero()
    {
        var (dx, dMin, _) = Grad1(-0.5f, -5f, -1f, 1f);
        Assert.That(Bits(dx), Is.EqualTo(unchecked((int)0x80000000)));
        Assert.That(dMin, Is.EqualTo(-0.5f));
    }

    [Test]
    public void NaNAndInfGradientsPoisonExcludedPositionsAndBothSums()
    {
        var (dx, dMin, dMax) = Grad1(float.NaN, 0.5f, -1f, 1f);
        Assert.That(dx, Is.NaN);
        Assert.That(dMin, Is.NaN);
        Assert.That(dMax, Is.NaN);

        // An Inf counted in the min sum gives Inf there; Inf * 0 makes the max sum and the backprop NaN.
        var (dxInf, dMinInf, dMaxInf) = Grad1(float.PositiveInfinity, -5f, -1f, 1f);
        Assert.That(dxInf, Is.NaN);
        Assert.That(dMinInf, Is.EqualTo(float.PositiveInfinity));
        Assert.That(dMaxInf, Is.NaN);
    }

    [Test]
    public void NaNInputsFailAllThreeTests()
    {
        var (dx, dMin, dMax) = Grad1(2f, float.NaN, -1f, 1f);
        Assert.That(Bits(dx), Is.EqualTo(0));
        Assert.That(Bits(dMin), Is.EqualTo(0));
        Assert.That(Bits(dMax), Is.EqualTo(0));
    }

    [Test]
    public void BoundsAreInclusiveForTheInputBackprop()
    {
        var q = Quantization.QuantRange.Nudge(-1f, 1f, 8, false);
        Assert.That(Grad1(3f, q.NudgedMin, -1f, 1f).Dx, Is.EqualTo(3f));
        Assert.That(Grad1(3f, q.NudgedMax, -1f, 1f).Dx, Is.EqualTo(3f));
        Assert.That(Grad1(3f, q.NudgedMin, -1f, 1f).DMin, Is.EqualTo(0f));
        Assert.That(Grad1(3f, q.NudgedMax, -1f, 1f).DMax, Is.EqualTo(0f));
    }

    [Test]
    public void SubnormalGradientsAreFlushedWhereComputed()
    {
        Assert.That(Bits(Grad1(1e-45f, 0.5f, -1f, 1f).Dx), Is.EqualTo(0));
        Assert.That(Bits(Grad1(-1e-45f, 0.5f, -1f, 1f).Dx), Is.EqualTo(unchecked((int)0x80000000)));
    }

    [Test]
    public void TheZeroRangeCopiesGradientsUnflushedAndSumsArePlusZero()
    {
        float[] g = [1e-45f, -3e-39f, float.NaN, -2f];
        float[] x = [5f, -5f, 0f, float.NaN];
        float[] dx = new float[4], dMin = new float[1], dMax = new float[1];
        FakeQuant.PerChannelGradient(g, x, [-0f], [1e-45f], 8, false, dx, dMin, dMax);
        for (int i = 0; i < g.Length; i++)
        {
            Assert.That(Bits(dx[i]), Is.EqualTo(Bits(g[i])), $"element {i}");
        }

        Assert.That(Bits(dMin[0]), Is.EqualTo(0));
        Assert.That(Bits(dMax[0]), Is.EqualTo(0));
    }

    [Test]
    public void PartialSumsAreFlushed()
    {
        // 1.5e-38 + (-1.4e-38) = 1e-39 is subnormal: TensorFlow's running sum becomes 0.
        float[] dx = new float[2], dMin = new float[1], dMax = new float[1];
        FakeQuant.PerChannelGradient([1.5e-38f, -1.4e-38f], [-5f, -5f], [-1f], [1f], 8, false, dx, dMin, dMax);
        Assert.That(Bits(dMin[0]), Is.EqualTo(0));
    }

    [Test]
    public void SumsOfNegativeZerosStartFromPlusZero()
    {
        float[] dx = new float[2], dMin = new float[1], dMax = new float[1];
        FakeQuant.PerChannelGradient([-1f, -2f], [0f, 0.5f], [-1f], [1f], 8, false, dx, dMin, dMax);
        Assert.That(Bits(dMin[0]), Is.EqualTo(0));
        Assert.That(Bits(dMax[0]), Is.EqualTo(0));
    }

    [Test]
    public void SubnormalInputsAreReadAsSignedZeros()
    {
        Assert.That(PerChannel1(1e-45f, -1f, 1f), Is.EqualTo(PerChannel1(0f, -1f, 1f)));
        // [0, 1]: nudged_min = 0, so -1e-45 (read as -0) is inside, not below.
        var (dx, dMin, _) = Grad1(1f, -1e-45f, 0f, 1f);
        Assert.That(dx, Is.EqualTo(1f));
        Assert.That(dMin, Is.EqualTo(0f));
    }

    [Test]
    public void ASubnormalScaleMakesVarsOutputNaN() =>
        Assert.That(Vars1(0.5e-36f, 0f, 1e-36f), Is.NaN);

    [Test]
    public void MinAboveMaxIsAcceptedAndGivesAConstant()
    {
        float[] y = new float[5];
        FakeQuant.PerChannel([-3f, -0.5f, 0f, 0.5f, 3f], [1f], [-1f], 8, false, y);
        Assert.That(y.Distinct().Count(), Is.EqualTo(1), string.Join(", ", y));
    }

    [Test]
    public void ElementsCanCountAsBothBelowAndAboveWhenMinExceedsMax()
    {
        var (_, dMin, dMax) = Grad1(1f, 0.5f, 1f, -1f);
        Assert.That(dMin + dMax, Is.GreaterThanOrEqualTo(1f));
    }

    [Test]
    public void EqualNonzeroBoundsGiveNaNOutputs()
    {
        // range 0 → scale 0, inv_scale Inf → (0 * Inf) is NaN.
        Assert.That(PerChannel1(0.5f, 0.5f, 0.5f), Is.NaN);
        Assert.That(Vars1(0.5f, 0.5f, 0.5f), Is.NaN);
    }

    [Test]
    public void InPlaceGradientOverwritesTheGradientBuffer()
    {
        float[] g = [1f, 2f, 3f, 4f];
        float[] x = [-9f, 0f, 0.5f, 9f];
        float[] expected = new float[4], dMin = new float[1], dMax = new float[1];
        FakeQuant.PerChannelGradient(g, x, [-1f], [1f], 8, false, expected, dMin, dMax);
        FakeQuant.PerChannelGradient(g, x, [-1f], [1f], 8, false, g, dMin, dMax);
        Assert.That(g, Is.EqualTo(expected));
        Assert.That(dMin[0], Is.EqualTo(1f));
        Assert.That(dMax[0], Is.EqualTo(4f));
    }

    [Test]
    public void SpanArgumentsAreChecked()
    {
        float[] buf = new float[8];
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], new float[4], new float[4], 8, false, new float[6]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], new float[3], new float[2], 8, false, new float[6]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(new float[6], new float[3], new float[3], 8, false, new float[5]));
        Assert.Throws<ArgumentException>(() => FakeQuant.PerChannel(buf.AsSpan(0, 6), new float[3], new float[3], 8, false, buf.AsSpan(1, 6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FakeQuant.Vars(new float[2], -1f, 1f, 17, false, new float[2]));
        var ex = Assert.Throws<ArgumentException>(() => FakeQuant.Args(new float[2], 1f, 1f, 8, false, new float[2]));
        Assert.That(ex!.Message, Does.StartWith("min has to be smaller than max, was: 1 >= 1"));
    }
}
