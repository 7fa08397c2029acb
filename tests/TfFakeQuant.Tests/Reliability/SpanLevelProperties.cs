using CsCheck;
using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Tests.Reliability;

/// <summary>
/// Span-level properties (<see cref="FakeQuant"/>). Every argument of a call is a slice of one
/// arena, each surrounded by canary values; the call may be valid (including exact in-place use)
/// or broken: wrong lengths, a destination too short or too long, min/max of different lengths,
/// an input length that is not a multiple of the channel count, a destination that partly
/// overlaps a source, range outputs that overlap each other or an input. Then:
/// <list type="bullet">
/// <item>an Args range or num_bits failure throws with TensorFlow's text, in SPEC.md's order (range first);</item>
/// <item>any other broken call throws <see cref="ArgumentException"/> and writes nothing (the whole arena is unchanged);</item>
/// <item>a valid call writes exactly the scalar reference's bits into its outputs and nothing else (canaries intact).</item>
/// </list>
/// </summary>
public class SpanLevelProperties
{
    /// <summary>A NaN with a payload no kernel produces, so a stray write is visible.</summary>
    private const int Canary = 0x7FBA_DCAF;

    /// <summary>Ways to break (or legally alias) the buffers of a span call.</summary>
    public enum Layout
    {
        Valid,
        InPlaceFirstInput,    // output is exactly the memory of the first input (gradients, or inputs)
        InPlaceSecondInput,   // gradient ops: output is exactly the inputs' memory
        OutputShort,
        OutputLong,
        InputsLengthMismatch, // gradients and inputs differ in length
        MinMaxLengthMismatch,
        NotMultipleOfChannels,
        OutputPartlyOverlapsInput,
        OutputOverlapsMin,
        RangeOutputShort,
        RangeOutputsOverlap,
        RangeOutputOverlapsInput,
    }

    /// <summary>One span-level call.</summary>
    public sealed record SpanCase(FakeQuantOpKind Kind, int NumBits, bool Narrow, float Min, float Max, int Rows, int Channels,
        float[] Gradients, float[] Inputs, float[] Mins, float[] Maxs, Layout Layout, int Shift)
    {
        public override string ToString() =>
            $"{Kind} num_bits={NumBits} narrow={Narrow} min={Min:R} max={Max:R} rows={Rows} channels={Channels} layout={Layout} shift={Shift} " +
            $"x=[{string.Join(",", Inputs.Take(6).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] " +
            $"mins=[{string.Join(",", Mins.Take(4))}] maxs=[{string.Join(",", Maxs.Take(4))}]";
    }

    private static readonly Gen<SpanCase> CaseGen =
        from kind in Gen.Int[0, 5].Select(i => (FakeQuantOpKind)i)
        from numBits in Generators.NumBitsInt
        from narrow in Gen.Bool
        from range in Generators.Range
        from channels in Gen.Frequency((1, Gen.Const(0)), (8, Gen.Int[1, 9]), (1, Gen.Int[10, 70]))
        from rows in Gen.Frequency((1, Gen.Const(0)), (6, Gen.Int[1, 12]), (2, Gen.Int[13, 70]))
        from layout in Gen.Frequency((8, Gen.Const(Layout.Valid)), (2, Gen.Int[1, 2].Select(i => (Layout)i)), (6, Gen.Int[3, 12].Select(i => (Layout)i)))
        from shift in Gen.Int[1, 3]
        from g in Generators.Float.Array[rows * channels]
        from x in Generators.Float.Array[rows * channels]
        from ranges in Generators.Range.Array[channels]
        select new SpanCase(kind, numBits, narrow, range.Min, range.Max, rows, channels, g, x,
            ranges.Select(r => r.Min).ToArray(), ranges.Select(r => r.Max).ToArray(), layout, shift);

    [Test]
    public void CallsAreCheckedThenComputedExactlyWithoutStrayWrites() =>
        Prop.ForAll(CaseGen, CheckCase, iterations: 3000, stream: 2);

    /// <summary>A slice of the arena.</summary>
    private readonly record struct Slot(int Start, int Length)
    {
        public Span<float> In(float[] arena) => arena.AsSpan(Start, Length);
    }

    /// <summary>Lays out slots with canary guards; reports where the outputs are.</summary>
    private sealed class Arena
    {
        private const int Guard = 7;
        private readonly List<(int Start, float[] Values)> _fills = [];
        private int _next = Guard;

        public Slot Add(float[] values)
        {
            var s = new Slot(_next, values.Length);
            _fills.Add((_next, values));
            _next += values.Length + Guard;
            return s;
        }

        public Slot AddOutput(int length)
        {
            var s = new Slot(_next, length);
            _next += length + Guard;
            return s;
        }

        public float[] Build()
        {
            var a = new float[_next + 8];
            a.AsSpan().Fill(BitConverter.Int32BitsToSingle(Canary));
            foreach ((int start, float[] v) in _fills)
            {
                v.CopyTo(a, start);
            }

            return a;
        }
    }

    private static bool IsGradient(FakeQuantOpKind k) => k is FakeQuantOpKind.ArgsGradient or FakeQuantOpKind.VarsGradient or FakeQuantOpKind.VarsPerChannelGradient;

    private static bool IsPerChannel(FakeQuantOpKind k) => k is FakeQuantOpKind.VarsPerChannel or FakeQuantOpKind.VarsPerChannelGradient;

    /// <summary>Whether a layout applies to an op (otherwise the call is made as <see cref="Layout.Valid"/>).</summary>
    private static Layout Effective(SpanCase c)
    {
        Layout layout = c.Layout;
        for (Layout next = Remap(c, layout); next != layout; next = Remap(c, layout))
        {
            layout = next;
        }

        return layout;
    }

    private static Layout Remap(SpanCase c, Layout layout)
    {
        int n = c.Inputs.Length;
        return layout switch
        {
            Layout.InPlaceSecondInput when !IsGradient(c.Kind) => Layout.InPlaceFirstInput,
            Layout.InputsLengthMismatch when !IsGradient(c.Kind) => Layout.OutputShort,
            Layout.MinMaxLengthMismatch or Layout.NotMultipleOfChannels or Layout.OutputOverlapsMin when !IsPerChannel(c.Kind) => Layout.OutputLong,
            Layout.RangeOutputShort or Layout.RangeOutputsOverlap or Layout.RangeOutputOverlapsInput when c.Kind != FakeQuantOpKind.VarsPerChannelGradient => Layout.OutputShort,
            Layout.OutputShort when n == 0 => Layout.OutputLong,
            Layout.OutputPartlyOverlapsInput when n <= 1 => Layout.OutputLong,
            Layout.OutputOverlapsMin when n == 0 => Layout.OutputLong,
            Layout.RangeOutputsOverlap or Layout.RangeOutputShort when c.Channels == 0 => Layout.MinMaxLengthMismatch,
            Layout.RangeOutputOverlapsInput when c.Channels == 0 || n == 0 => Layout.MinMaxLengthMismatch,
            _ => layout,
        };
    }

    internal static void CheckCase(SpanCase c)
    {
        Layout layout = Effective(c);
        int n = c.Inputs.Length, d = c.Channels;
        var arena = new Arena();
        Slot g = arena.Add(layout == Layout.InputsLengthMismatch ? [.. c.Gradients, 1f] : c.Gradients);
        Slot x = arena.Add(layout == Layout.NotMultipleOfChannels ? [.. c.Inputs, 0.5f] : c.Inputs);
        Slot mins = arena.Add(c.Mins);
        Slot maxs = arena.Add(layout == Layout.MinMaxLengthMismatch ? [.. c.Maxs, 1f] : c.Maxs);
        int outLength = layout switch { Layout.OutputShort => n - 1, Layout.OutputLong => n + 1, _ => n };
        Slot y = arena.AddOutput(outLength);
        Slot dMin = arena.AddOutput(layout == Layout.RangeOutputShort ? d - 1 : d);
        Slot dMax = arena.AddOutput(d);
        Slot first = IsGradient(c.Kind) ? g : x;
        y = layout switch
        {
            Layout.InPlaceFirstInput => first,
            Layout.InPlaceSecondInput => x,
            Layout.OutputPartlyOverlapsInput => new Slot(first.Start + Math.Min(c.Shift, n - 1), n),
            Layout.OutputOverlapsMin => new Slot(mins.Start + d - 1, n),
            _ => y,
        };
        if (layout == Layout.RangeOutputsOverlap)
        {
            dMax = new Slot(dMin.Start + Math.Min(c.Shift, d) - 1, d);
        }
        else if (layout == Layout.RangeOutputOverlapsInput)
        {
            dMin = new Slot(x.Start + Math.Min(c.Shift, n) - 1, d);
        }

        float[] buffer = arena.Build();
        int[] before = Array.ConvertAll(buffer, BitConverter.SingleToInt32Bits);
        void Call() => Invoke(c, buffer, g, x, mins, maxs, y, dMin, dMax);

        // The first failing check, in SPEC.md's order: Args range, num_bits, then the spans.
        string? attrText = null;
        bool numBitsBad = c.NumBits is < 2 or > 16;
        if (c.Kind is FakeQuantOpKind.Args or FakeQuantOpKind.ArgsGradient)
        {
            float fmin = float.IsSubnormal(c.Min) ? MathF.CopySign(0f, c.Min) : c.Min;
            float fmax = float.IsSubnormal(c.Max) ? MathF.CopySign(0f, c.Max) : c.Max;
            if (!(fmin < fmax))
            {
                attrText = $"min has to be smaller than max, was: {CheckOrderModel.PercentG(fmin)} >= {CheckOrderModel.PercentG(fmax)}";
            }
        }

        if (attrText is not null)
        {
            var ex = Expect.Throws<ArgumentException>(Call, attrText, "range check");
            Expect.True(ex is not ArgumentOutOfRangeException, "range check threw ArgumentOutOfRangeException");
        }
        else if (numBitsBad)
        {
            Expect.Throws<ArgumentOutOfRangeException>(Call, "num_bits must be between 2 and 16, inclusive", "num_bits check");
        }
        else if (layout is not (Layout.Valid or Layout.InPlaceFirstInput or Layout.InPlaceSecondInput))
        {
            Expect.Throws<ArgumentException>(Call, null, $"layout {layout}");
        }
        else
        {
            float[][] reference = Oracle.Run(c.Kind, c.NumBits, c.Narrow, c.Min, c.Max,
                c.Kind switch
                {
                    FakeQuantOpKind.Args => [c.Inputs],
                    FakeQuantOpKind.ArgsGradient => [c.Gradients, c.Inputs],
                    FakeQuantOpKind.Vars => [c.Inputs, [First(c.Mins, c.Min)], [First(c.Maxs, c.Max)]],
                    FakeQuantOpKind.VarsGradient => [c.Gradients, c.Inputs, [First(c.Mins, c.Min)], [First(c.Maxs, c.Max)]],
                    FakeQuantOpKind.VarsPerChannel => [c.Inputs, c.Mins, c.Maxs],
                    _ => [c.Gradients, c.Inputs, c.Mins, c.Maxs],
                });
            Call();
            int[] expected = (int[])before.Clone();
            Put(expected, y, reference[0]);
            if (c.Kind == FakeQuantOpKind.VarsPerChannelGradient)
            {
                Put(expected, dMin, reference[1]);
                Put(expected, dMax, reference[2]);
            }
            else if (c.Kind == FakeQuantOpKind.VarsGradient)
            {
                Expect.SameBits([LastMin, LastMax], [reference[1][0], reference[2][0]], "VarsGradient range gradients");
            }

            Expect.SameBits(y.In(buffer), reference[0], "output");
            CompareArena(buffer, expected, "valid call");
            return;
        }

        // A rejected call writes nothing anywhere.
        CompareArena(buffer, before, "rejected call");
    }

    private static float First(float[] a, float fallback) => a.Length > 0 ? a[0] : fallback;

    private static void Put(int[] bits, Slot s, float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            bits[s.Start + i] = BitConverter.SingleToInt32Bits(values[i]);
        }
    }

    private static void CompareArena(float[] buffer, int[] expected, string what)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            int actual = BitConverter.SingleToInt32Bits(buffer[i]);
            if (actual != expected[i] && !(float.IsNaN(buffer[i]) && float.IsNaN(BitConverter.Int32BitsToSingle(expected[i])) && expected[i] != Canary && actual != Canary))
            {
                throw new PropertyException($"{what}: arena[{i}] = 0x{actual:X8}, expected 0x{expected[i]:X8} (a stray or missing write)");
            }
        }
    }

    [ThreadStatic]
    private static float LastMin;

    [ThreadStatic]
    private static float LastMax;

    private static void Invoke(SpanCase c, float[] a, Slot g, Slot x, Slot mins, Slot maxs, Slot y, Slot dMin, Slot dMax)
    {
        switch (c.Kind)
        {
            case FakeQuantOpKind.Args:
                FakeQuant.Args(x.In(a), c.Min, c.Max, c.NumBits, c.Narrow, y.In(a));
                break;
            case FakeQuantOpKind.ArgsGradient:
                FakeQuant.ArgsGradient(g.In(a), x.In(a), c.Min, c.Max, c.NumBits, c.Narrow, y.In(a));
                break;
            case FakeQuantOpKind.Vars:
                FakeQuant.Vars(x.In(a), First(c.Mins, c.Min), First(c.Maxs, c.Max), c.NumBits, c.Narrow, y.In(a));
                break;
            case FakeQuantOpKind.VarsGradient:
                FakeQuant.VarsGradient(g.In(a), x.In(a), First(c.Mins, c.Min), First(c.Maxs, c.Max), c.NumBits, c.Narrow, y.In(a), out LastMin, out LastMax);
                break;
            case FakeQuantOpKind.VarsPerChannel:
                FakeQuant.PerChannel(x.In(a), mins.In(a), maxs.In(a), c.NumBits, c.Narrow, y.In(a));
                break;
            default:
                FakeQuant.PerChannelGradient(g.In(a), x.In(a), mins.In(a), maxs.In(a), c.NumBits, c.Narrow, y.In(a), dMin.In(a), dMax.In(a));
                break;
        }
    }
}
