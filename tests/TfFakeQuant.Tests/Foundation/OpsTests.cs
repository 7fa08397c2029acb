using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Foundation;

/// <summary>The catalogue, TF's message formatting, kernel-check order and shape functions.</summary>
public class OpsTests
{
    [TestCase(-0.6817111968994141, "-0.681711")]
    [TestCase(0.0, "0")]
    [TestCase(-0.0, "-0")]
    [TestCase(double.NaN, "nan")]
    [TestCase(double.PositiveInfinity, "inf")]
    [TestCase(double.NegativeInfinity, "-inf")]
    [TestCase(123456.0, "123456")]
    [TestCase(1234567.0, "1.23457e+06")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(0.00001, "1e-05")]
    [TestCase(1e10, "1e+10")]
    [TestCase(3.4028234663852886e38, "3.40282e+38")]
    [TestCase(6.0, "6")]
    [TestCase(0.5, "0.5")]
    [TestCase(999999.5, "1e+06")]
    public void PrintsLikeCPercentG(double value, string expected) => Assert.That(CFormat.G(value), Is.EqualTo(expected));

    [Test]
    public void CatalogueMatchesTheRecordedOpDefs()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Parity", "tf-2.21.0", "opdefs.pbtxt"));
        string[] blocks = text.Split("# ", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(blocks, Has.Length.EqualTo(FakeQuantCatalog.All.Count));
        foreach (string block in blocks)
        {
            string name = block[..block.IndexOf('\n', StringComparison.Ordinal)].Trim();
            FakeQuantOpDef op = FakeQuantCatalog.Get(name);
            Assert.That(Names(block, "input_arg"), Is.EqualTo(op.InputNames), name);
            Assert.That(Names(block, "output_arg"), Is.EqualTo(op.OutputNames), name);
            Assert.That(Names(block, "attr"), Is.EqualTo(op.Attrs.Select(a => a.Name)), name);
        }
    }

    private static List<string> Names(string block, string section)
    {
        var names = new List<string>();
        string[] lines = block.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i] == section + " {")
            {
                names.Add(lines[i + 1].Trim()["name: ".Length..].Trim('"'));
            }
        }

        return names;
    }

    [Test]
    public void ArgsChecksTheRangeBeforeNumBits()
    {
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            KernelChecks.CheckAttrs(FakeQuantCatalog.Args, new FakeQuantAttrs(NumBits: 40, Min: 1f, Max: 1f)));
        Assert.That(ex!.Message, Is.EqualTo("min has to be smaller than max, was: 1 >= 1"));
    }

    [TestCase(-1e-45f, 1e-45f, "min has to be smaller than max, was: -0 >= 0")]
    [TestCase(float.NaN, 1f, "min has to be smaller than max, was: nan >= 1")]
    [TestCase(2f, float.NaN, "min has to be smaller than max, was: 2 >= nan")]
    public void ArgsRangeTextPrintsFlushedBoundsAndPlainNan(float min, float max, string expected)
    {
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            KernelChecks.CheckAttrs(FakeQuantCatalog.Args, new FakeQuantAttrs(Min: min, Max: max)));
        Assert.That(ex!.Message, Is.EqualTo(expected));
    }

    [TestCase(1L, "num_bits must be between 2 and 16, inclusive")]
    [TestCase(17L, "num_bits must be between 2 and 16, inclusive")]
    [TestCase(-5L, "num_bits must be between 2 and 16, inclusive")]
    [TestCase(2147483648L, "Attr num_bits has value 2147483648 out of range for an int32")]
    [TestCase(-2147483649L, "Attr num_bits has value -2147483649 out of range for an int32")]
    public void NumBitsChecks(long numBits, string expected)
    {
        var ex = Assert.Throws<InvalidArgumentException>(() => KernelChecks.CheckNumBits(numBits));
        Assert.That(ex!.Message, Is.EqualTo(expected));
    }

    [Test]
    public void PerChannelGradientOrderIsNumBitsSameSizeRankZeroThenMinMax()
    {
        FakeQuantOpDef op = FakeQuantCatalog.VarsPerChannelGradient;
        TensorShape s = TensorShape.Scalar, v3 = TensorShape.Of(3), m23 = TensorShape.Of(2, 3), m32 = TensorShape.Of(3, 2);
        string Text(FakeQuantAttrs a, params TensorShape[] shapes) =>
            Assert.Throws<InvalidArgumentException>(() => KernelChecks.Check(op, a, shapes))!.Message;

        Assert.That(Text(new FakeQuantAttrs(NumBits: 1), m23, m32, s, s), Is.EqualTo("num_bits must be between 2 and 16, inclusive"));
        Assert.That(Text(new FakeQuantAttrs(), m23, m32, s, s), Is.EqualTo("gradient and input must be the same size"));
        Assert.That(Text(new FakeQuantAttrs(), s, s, s, s), Is.EqualTo("Shape must be at least rank 1 but is rank 0"));
        Assert.That(Text(new FakeQuantAttrs(), m23, m23, s, v3), Is.EqualTo("`min` must be rank 1 but is rank 0"));
        Assert.That(Text(new FakeQuantAttrs(), m23, m23, TensorShape.Of(2), v3), Is.EqualTo("min has incorrect size, expected 3 was 2"));
        Assert.That(Text(new FakeQuantAttrs(), m23, m23, v3, m23), Is.EqualTo("`max` must be rank 1 but is rank 2"));
        Assert.That(Text(new FakeQuantAttrs(), m23, m23, v3, TensorShape.Of(4)), Is.EqualTo("max has incorrect size, expected 3 was 4"));
        Assert.DoesNotThrow(() => KernelChecks.Check(op, new FakeQuantAttrs(), [TensorShape.Of(2, 2, 2, 2, 2, 3), TensorShape.Of(2, 2, 2, 2, 2, 3), v3, v3]));
    }

    [Test]
    public void ArgsGradientNamesTheNodeAndBothShapes()
    {
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            KernelChecks.CheckShapes(FakeQuantCatalog.ArgsGradient, [TensorShape.Of(2, 3), TensorShape.Of(3, 2)]));
        Assert.That(ex!.Message, Is.EqualTo("Inputs to operation FakeQuantWithMinMaxArgsGradient of type FakeQuantWithMinMaxArgsGradient must have the same size and shape.  Input 0: [2,3] != input 1: [3,2]"));
        var named = Assert.Throws<InvalidArgumentException>(() =>
            KernelChecks.CheckShapes(FakeQuantCatalog.ArgsGradient, [TensorShape.Of(2), TensorShape.Scalar], "fq"));
        Assert.That(named!.Message, Does.StartWith("Inputs to operation fq of type").And.EndWith("Input 0: [2] != input 1: []"));
    }

    [Test]
    public void ArgsGradientComputesRanksUpToEight()
    {
        TensorShape Ones(int rank) => TensorShape.Of(Enumerable.Repeat(1L, rank).ToArray());
        Assert.DoesNotThrow(() => KernelChecks.CheckShapes(FakeQuantCatalog.ArgsGradient, [Ones(8), Ones(8)]));
        var ex = Assert.Throws<InvalidArgumentException>(() => KernelChecks.CheckShapes(FakeQuantCatalog.ArgsGradient, [Ones(9), Ones(9)]));
        Assert.That(ex!.Message, Is.EqualTo("We only handle up to Tensor::dims() up to 8, not 9"));

        // The same-shape check comes first; Args (elementwise, one input) has no rank limit.
        var mismatch = Assert.Throws<InvalidArgumentException>(() => KernelChecks.CheckShapes(FakeQuantCatalog.ArgsGradient, [Ones(9), Ones(10)]));
        Assert.That(mismatch!.Message, Does.Contain("must have the same size and shape"));
        Assert.DoesNotThrow(() => KernelChecks.CheckShapes(FakeQuantCatalog.Args, [Ones(12)]));
        Assert.DoesNotThrow(() => KernelChecks.CheckShapes(FakeQuantCatalog.VarsGradient, [Ones(10), Ones(10), TensorShape.Scalar, TensorShape.Scalar]));
    }

    [Test]
    public void VarsRequiresScalarRanges()
    {
        var ex = Assert.Throws<InvalidArgumentException>(() =>
            KernelChecks.CheckShapes(FakeQuantCatalog.Vars, [TensorShape.Of(4), TensorShape.Of(1), TensorShape.Scalar]));
        Assert.That(ex!.Message, Is.EqualTo("`min` must be rank 0 but is rank 1"));
    }

    private static string ShapeError(FakeQuantOpDef op, params TensorShape[] shapes) =>
        Assert.Throws<ShapeInferenceException>(() => ShapeInference.InferOutputShapes(op, shapes))!.Message;

    [Test]
    public void ShapeFunctionsGiveTensorFlowsTexts()
    {
        TensorShape u = TensorShape.Unknown;
        FakeQuantOpDef g = FakeQuantCatalog.VarsPerChannelGradient, f = FakeQuantCatalog.VarsPerChannel;
        Assert.That(ShapeError(g, TensorShape.Of(1, 2, 2, 2, 3), TensorShape.Of(1, 2, 2, 2, 3), TensorShape.Of(3), TensorShape.Of(3)),
            Is.EqualTo("Shape must be at most rank 4 but is rank 5"));
        Assert.That(ShapeError(g, TensorShape.Of(4, 3), TensorShape.Of(4, 3), TensorShape.Of(2), TensorShape.Of(3)),
            Is.EqualTo("Dimension 0 in both shapes must be equal, but are 2 and 3. Shapes are [2] and [3]."));
        Assert.That(ShapeError(g, TensorShape.Of(12), TensorShape.Of(4, 3), TensorShape.Of(3), TensorShape.Of(3)),
            Is.EqualTo("Shapes must be equal rank, but are 1 and 2"));
        Assert.That(ShapeError(g, u, TensorShape.Scalar, TensorShape.Of(1), TensorShape.Of(1)),
            Is.EqualTo("Shape must be at least rank 1 but is rank 0"));
        Assert.That(ShapeError(f, TensorShape.Of(4, 3), TensorShape.Of(2), TensorShape.Of(3)),
            Is.EqualTo("Dimensions must be equal, but are 3 and 2"));
        Assert.That(ShapeError(FakeQuantCatalog.VarsGradient, TensorShape.Of(4), TensorShape.Of(4), TensorShape.Scalar, TensorShape.Of(2)),
            Is.EqualTo("Shapes must be equal rank, but are 0 and 1"));
    }

    [Test]
    public void ShapeFunctionsKeepUnknownDims()
    {
        TensorShape[] outs = ShapeInference.InferOutputShapes(FakeQuantCatalog.VarsPerChannelGradient,
            [TensorShape.Of(-1, 7, 7, 16), TensorShape.Unknown, TensorShape.Unknown, TensorShape.Of(-1)]);
        Assert.That(outs[0].ToString(), Is.EqualTo("[?,7,7,16]"));
        Assert.That(outs[1].ToString(), Is.EqualTo("[16]"));
        Assert.That(outs[2].ToString(), Is.EqualTo("[16]"));
        Assert.That(ShapeInference.InferOutputShapes(FakeQuantCatalog.Args, [TensorShape.Unknown])[0].IsRankKnown, Is.False);
    }

    [Test]
    public void OpLevelAcceptsAnyRankForTheEagerGradient()
    {
        var x = new FloatTensor(TensorShape.Of(1, 1, 1, 1, 2, 3), [0f, 1f, 2f, -0.5f, -2f, 9f]);
        var (dx, dMin, dMax) = FakeQuantOps.PerChannelGradient(x, x, FloatTensor.Vector(-1f, -1f, -1f), FloatTensor.Vector(1f, 1f, 1f));
        Assert.That(dx.Shape, Is.EqualTo(x.Shape));
        Assert.That(dMin.GetArray(), Is.EqualTo(new[] { 0f, -2f, 0f }));
        Assert.That(dMax.GetArray(), Is.EqualTo(new[] { 0f, 0f, 11f }));
    }

    [Test]
    public void NDArrayOverloadsRoundTrip()
    {
        var x = NumSharp.np.array(new float[] { -1.2f, 0.05f, 3.1f, 7.9f }).reshape(2, 2);
        NumSharp.NDArray y = FakeQuantOps.PerChannel(x, NumSharp.np.array(new[] { -1f, -2f }), NumSharp.np.array(new[] { 1f, 6f }));
        Assert.That(y.shape, Is.EqualTo(new[] { 2, 2 }));
        FloatTensor expected = FakeQuantOps.PerChannel(FakeQuantOps.ToTensor(x), FloatTensor.Vector(-1f, -2f), FloatTensor.Vector(1f, 6f));
        Assert.That(y.ToArray<float>(), Is.EqualTo(expected.GetArray()));
    }
}
