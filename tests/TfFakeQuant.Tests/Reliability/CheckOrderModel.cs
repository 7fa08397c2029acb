using System.Globalization;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// An independent model of SPEC.md's "Validation" section (kernel checks, in order, with
/// TensorFlow's texts), written from the specification and not from <see cref="KernelChecks"/>:
/// given an op-level call, it predicts the text of the first failing check, or null when the
/// call is valid. Its own <c>%g</c> comes from .NET's <c>G6</c> format (same rule for choosing
/// the exponent form as C), so a formatting bug in the library is not mirrored here.
/// </summary>
internal static class CheckOrderModel
{
    /// <summary>The first failing kernel check's text for an op-level call, or null.</summary>
    /// <param name="kind">Which op.</param>
    /// <param name="numBits">The attr as stored (int64).</param>
    /// <param name="min">Args attr min.</param>
    /// <param name="max">Args attr max.</param>
    /// <param name="shapes">Input dimension lists in OpDef order.</param>
    /// <param name="nodeName">Node name (null: eager, the op type is printed).</param>
    /// <returns>The expected message, or null for a valid call.</returns>
    public static string? FirstFailure(FakeQuantOpKind kind, long numBits, float min, float max, IReadOnlyList<long[]> shapes, string? nodeName)
    {
        // 1. Kernel construction. Args ops: !(min < max) with DAZ (subnormal attrs read as signed zeros).
        if (kind is FakeQuantOpKind.Args or FakeQuantOpKind.ArgsGradient)
        {
            float fmin = Daz(min), fmax = Daz(max);
            if (!(fmin < fmax))
            {
                return $"min has to be smaller than max, was: {PercentG(fmin)} >= {PercentG(fmax)}";
            }
        }

        // 2. num_bits: fits an int32 (NodeDef int64), then 2..16.
        if (numBits < int.MinValue || numBits > int.MaxValue)
        {
            return $"Attr num_bits has value {numBits.ToString(CultureInfo.InvariantCulture)} out of range for an int32";
        }

        if (numBits < 2 || numBits > 16)
        {
            return "num_bits must be between 2 and 16, inclusive";
        }

        // 3. Compute: shapes.
        switch (kind)
        {
            case FakeQuantOpKind.Args:
                return null;
            case FakeQuantOpKind.ArgsGradient:
                return !Same(shapes[0], shapes[1])
                    ? $"Inputs to operation {nodeName ?? "FakeQuantWithMinMaxArgsGradient"} of type FakeQuantWithMinMaxArgsGradient must have the same size and shape.  Input 0: {Fmt(shapes[0])} != input 1: {Fmt(shapes[1])}"
                    : shapes[0].Length > 8 ? $"We only handle up to Tensor::dims() up to 8, not {shapes[0].Length}" : null;
            case FakeQuantOpKind.Vars:
                return ScalarRange(shapes[1], shapes[2]);
            case FakeQuantOpKind.VarsGradient:
                return !Same(shapes[0], shapes[1]) ? "gradient and input must be the same size" : ScalarRange(shapes[2], shapes[3]);
            case FakeQuantOpKind.VarsPerChannel:
                return ChannelRange(shapes[0], shapes[1], shapes[2]);
            case FakeQuantOpKind.VarsPerChannelGradient:
                return !Same(shapes[0], shapes[1]) ? "gradient and input must be the same size" : ChannelRange(shapes[1], shapes[2], shapes[3]);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static string? ScalarRange(long[] min, long[] max) =>
        min.Length != 0 ? $"`min` must be rank 0 but is rank {min.Length}" :
        max.Length != 0 ? $"`max` must be rank 0 but is rank {max.Length}" : null;

    private static string? ChannelRange(long[] inputs, long[] min, long[] max)
    {
        // TensorFlow 2.21 aborts here on rank-0 inputs; the library raises the graph text instead.
        if (inputs.Length == 0)
        {
            return "Shape must be at least rank 1 but is rank 0";
        }

        long d = inputs[^1];
        foreach ((string name, long[] s) in new[] { ("min", min), ("max", max) })
        {
            if (s.Length != 1)
            {
                return $"`{name}` must be rank 1 but is rank {s.Length}";
            }

            if (s[0] != d)
            {
                return $"{name} has incorrect size, expected {d} was {s[0]}";
            }
        }

        return null;
    }

    private static bool Same(long[] a, long[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>TensorFlow's shape text: <c>[2,3]</c>, <c>[]</c>.</summary>
    public static string Fmt(long[] dims) => "[" + string.Join(",", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static float Daz(float v) => float.IsSubnormal(v) ? (float.IsNegative(v) ? -0f : 0f) : v;

    /// <summary>C's <c>%g</c> for the values a float can hold, NaN always <c>nan</c>.</summary>
    public static string PercentG(float value)
    {
        if (float.IsNaN(value))
        {
            return "nan";
        }

        if (float.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        // .NET's G6 switches to exponent form exactly where C's %g does (exponent < -4 or >= 6);
        // only the spelling of the exponent differs: "E-05" → "e-05", "E+06" → "e+06".
        string s = ((double)value).ToString("G6", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return s;
        }

        string mantissa = s[..e];
        char sign = s[e + 1];
        string digits = s[(e + 2)..].TrimStart('0').PadLeft(2, '0');
        return mantissa + "e" + sign + digits;
    }
}
