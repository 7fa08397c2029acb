using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Parity;

/// <summary>The comparison rules of FORMAT.md.</summary>
public static class ParityAssert
{
    /// <summary>Output names that are reductions (compared with the reduction rule).</summary>
    public static bool IsReduction(string outputName) =>
        outputName is "backprop_wrt_min" or "backprop_wrt_max" or "d_min" or "d_max";

    /// <summary>Bitwise equality, sign of zero included; any NaN matches any NaN.</summary>
    public static bool BitwiseEqual(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    /// <summary>Compares one output with the recorded one; returns null when equal, else a description.</summary>
    public static string? Compare(ParityCase c, string name, FloatTensor actual, FloatTensor expected)
    {
        if (!actual.Shape.Equals(expected.Shape))
        {
            return $"{name}: shape {actual.Shape} != recorded {expected.Shape}";
        }

        bool reduction = IsReduction(name);
        for (int i = 0; i < expected.Length; i++)
        {
            float ours = actual[i], tf = expected[i];
            if (BitwiseEqual(ours, tf))
            {
                continue;
            }

            if (reduction && !c.ExactReductions && c.SumAbs is { } sumAbs && i < sumAbs.Length && double.IsFinite(sumAbs[i]))
            {
                double bound = c.ReductionTerms * (Math.Pow(2, -23) * sumAbs[i] + Math.Pow(2, -126));
                if (Math.Abs((double)ours - tf) <= bound)
                {
                    continue;
                }
            }

            return $"{name}[{i}]: ours {ours:R} (0x{BitConverter.SingleToInt32Bits(ours):X8}) != TensorFlow {tf:R} (0x{BitConverter.SingleToInt32Bits(tf):X8})";
        }

        return null;
    }

    /// <summary>Asserts every recorded output of <paramref name="c"/> against <paramref name="outputs"/> (by OpDef output name).</summary>
    public static void Outputs(ParityCase c, IReadOnlyDictionary<string, FloatTensor> outputs)
    {
        var failures = new List<string>();
        foreach (string name in c.OutputFiles!.Keys)
        {
            if (!outputs.TryGetValue(name, out FloatTensor? actual))
            {
                failures.Add($"{name}: not produced");
                continue;
            }

            if (Compare(c, name, actual, c.Expected(name)) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.That(failures, Is.Empty, $"case {c.Id}");
    }
}
