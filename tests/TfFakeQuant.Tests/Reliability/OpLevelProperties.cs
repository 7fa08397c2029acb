using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Op-level properties (<see cref="FakeQuantOps"/>): over random calls of the six ops — ranks
/// 0..6, zero dims, num_bits from int64 extremes to -5..40, NaN/±Inf/±0/subnormal values and
/// bounds, min &gt; max, min == max — a valid call returns exactly the scalar reference's bits
/// (in the right shapes) and leaves its inputs untouched; an invalid call throws
/// <see cref="InvalidArgumentException"/> whose message is TensorFlow's text of the first
/// failing check, as predicted by <see cref="CheckOrderModel"/> from SPEC.md.
/// </summary>
public class OpLevelProperties
{
    [Test]
    public void ValidCallsMatchTheReferenceAndInvalidCallsFailTheFirstCheck() =>
        Prop.ForAll(Generators.OpCallGen, CheckCall, iterations: 3000, stream: 1);

    [Test]
    public void TheModelHasEnoughOfBothKinds()
    {
        // Guards the generator: a property over only-valid or only-invalid calls proves little.
        int valid = 0, invalid = 0;
        var texts = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 1000; i++)
        {
            var call = Generators.OpCallGen.Generate(new CsCheck.PCG(1, Prop.BaseSeed * 1_000_003UL + (ulong)i), null, out _);
            string? text = CheckOrderModel.FirstFailure(call.Op.Kind, call.Attrs.NumBits, call.Attrs.Min, call.Attrs.Max,
                call.Inputs.Select(t => t.Shape.Dims.ToArray()).ToList(), call.NodeName);
            if (text is null)
            {
                valid++;
            }
            else
            {
                invalid++;
                texts.Add(System.Text.RegularExpressions.Regex.Replace(text, @"[-\d\[\],.e+naif]+", "#"));
            }
        }

        Assert.That(valid, Is.GreaterThan(200), "valid calls");
        Assert.That(invalid, Is.GreaterThan(200), "invalid calls");
        Assert.That(texts, Has.Count.GreaterThanOrEqualTo(9), string.Join("\n", texts));
    }

    [TestCase(-0.6817111968994141f, "-0.681711")]
    [TestCase(0f, "0")]
    [TestCase(-0f, "-0")]
    [TestCase(float.NaN, "nan")]
    [TestCase(1e-5f, "1e-05")]
    [TestCase(1234567f, "1.23457e+06")]
    [TestCase(float.MaxValue, "3.40282e+38")]
    [TestCase(6f, "6")]
    public void TheModelsPercentGAgreesWithSpecExamples(float value, string expected) =>
        Assert.That(CheckOrderModel.PercentG(value), Is.EqualTo(expected));

    internal static void CheckCall(Generators.OpCall call)
    {
        var shapes = call.Inputs.Select(t => t.Shape.Dims.ToArray()).ToList();
        string? expected = CheckOrderModel.FirstFailure(call.Op.Kind, call.Attrs.NumBits, call.Attrs.Min, call.Attrs.Max, shapes, call.NodeName);
        float[][] before = call.Inputs.Select(t => t.GetArray().ToArray()).ToArray();

        if (expected is not null)
        {
            var ex = Expect.Throws<InvalidArgumentException>(() => FakeQuantOps.Execute(call.Op, call.Inputs, call.Attrs, call.NodeName), expected, "Execute(op)");
            Expect.True(ex.Message == expected, $"message \"{ex.Message}\" is not exactly \"{expected}\"");
            Expect.Throws<InvalidArgumentException>(() => FakeQuantOps.Execute(call.Op.Name, call.Inputs, call.Attrs, call.NodeName), expected, "Execute(name)");
        }
        else
        {
            FloatTensor[] outputs = FakeQuantOps.Execute(call.Op, call.Inputs, call.Attrs, call.NodeName);
            float[][] reference = Oracle.Run(call.Op.Kind, (int)call.Attrs.NumBits, call.Attrs.NarrowRange, call.Attrs.Min, call.Attrs.Max, before);
            Expect.True(outputs.Length == call.Op.OutputNames.Count, $"{outputs.Length} outputs");
            long[][] expectedShapes = ExpectedShapes(call.Op.Kind, call.Inputs);
            for (int k = 0; k < outputs.Length; k++)
            {
                Expect.True(outputs[k].Shape.Dims.SequenceEqual(expectedShapes[k]),
                    $"output {k} shape {outputs[k].Shape}, expected {CheckOrderModel.Fmt(expectedShapes[k])}");
                Expect.SameBits(outputs[k].Span, reference[k], $"output {k} ({call.Op.OutputNames[k]})");
                for (int j = 0; j < call.Inputs.Length; j++)
                {
                    Expect.True(!ReferenceEquals(outputs[k].GetArray(), call.Inputs[j].GetArray()) || outputs[k].Length == 0,
                        $"output {k} aliases input {j}");
                }
            }

            CheckTypedOverload(call, outputs);
        }

        for (int j = 0; j < before.Length; j++)
        {
            Expect.True(BitsEqual(before[j], call.Inputs[j].GetArray()),
                $"input {j} ({call.Op.InputNames[j]}) was modified");
        }
    }

    private static bool BitsEqual(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));

    /// <summary>The typed PascalCase entry points give the same bits as <c>Execute</c>.</summary>
    private static void CheckTypedOverload(Generators.OpCall call, FloatTensor[] viaExecute)
    {
        if (call.NodeName is not null)
        {
            return; // the typed methods are eager-style (no node name); covered by the calls without one
        }

        FakeQuantAttrs a = call.Attrs;
        int nb = (int)a.NumBits;
        FloatTensor[] i = call.Inputs;
        FloatTensor[] typed = call.Op.Kind switch
        {
            FakeQuantOpKind.Args => [FakeQuantOps.Args(i[0], a.Min, a.Max, nb, a.NarrowRange)],
            FakeQuantOpKind.ArgsGradient => [FakeQuantOps.ArgsGradient(i[0], i[1], a.Min, a.Max, nb, a.NarrowRange)],
            FakeQuantOpKind.Vars => [FakeQuantOps.Vars(i[0], i[1], i[2], nb, a.NarrowRange)],
            FakeQuantOpKind.VarsGradient => Tuple(FakeQuantOps.VarsGradient(i[0], i[1], i[2], i[3], nb, a.NarrowRange)),
            FakeQuantOpKind.VarsPerChannel => [FakeQuantOps.PerChannel(i[0], i[1], i[2], nb, a.NarrowRange)],
            _ => Tuple(FakeQuantOps.PerChannelGradient(i[0], i[1], i[2], i[3], nb, a.NarrowRange)),
        };
        for (int k = 0; k < typed.Length; k++)
        {
            Expect.SameBits(typed[k].Span, viaExecute[k].Span, $"typed overload output {k}");
        }
    }

    private static FloatTensor[] Tuple((FloatTensor A, FloatTensor B, FloatTensor C) t) => [t.A, t.B, t.C];

    private static long[][] ExpectedShapes(FakeQuantOpKind kind, FloatTensor[] inputs) => kind switch
    {
        FakeQuantOpKind.VarsGradient => [inputs[1].Shape.Dims.ToArray(), [], []],
        FakeQuantOpKind.VarsPerChannelGradient => [inputs[1].Shape.Dims.ToArray(), [inputs[1].Shape.Dims[^1]], [inputs[1].Shape.Dims[^1]]],
        FakeQuantOpKind.ArgsGradient => [inputs[1].Shape.Dims.ToArray()],
        _ => [inputs[0].Shape.Dims.ToArray()],
    };
}
