using TfFakeQuant.Kernels;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Reliability;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// Fuzz target of the span API (<see cref="FakeQuant"/>): every argument is a slice of one arena
/// filled with canaries; lengths are mutated and outputs alias inputs or each other at random.
/// A model of the documented rules decides whether the call must succeed: on success the outputs
/// must be the reference's bits and nothing else in the arena may change; on failure
/// (<see cref="ArgumentException"/> family only) nothing at all may change.
/// </summary>
internal static class SpanTargets
{
    private const int Canary = 0x7FBA_DCAF;

    private readonly record struct Slot(int Start, int Length)
    {
        public bool Overlaps(Slot o) => Length > 0 && o.Length > 0 && Start < o.Start + o.Length && o.Start < Start + Length;

        public Span<float> In(float[] a) => a.AsSpan(Start, Length);
    }

    public static void Kernels(FuzzContext f)
    {
        var kind = (FakeQuantOpKind)f.Int(0, 5);
        bool perChannel = kind is FakeQuantOpKind.VarsPerChannel or FakeQuantOpKind.VarsPerChannelGradient;
        bool gradient = kind is FakeQuantOpKind.ArgsGradient or FakeQuantOpKind.VarsGradient or FakeQuantOpKind.VarsPerChannelGradient;
        int channels = f.Chance(0.08) ? 0 : f.Chance(0.8) ? f.Int(1, 17) : f.Int(18, 70);
        int rows = f.Chance(0.08) ? 0 : f.Int(1, 40);
        int n = perChannel ? rows * channels : f.Int(0, 600);
        int c = perChannel ? channels : 1;
        int Len(int good) => f.Chance(0.04) ? Math.Max(0, good + f.Int(-3, 3)) : good;

        // Inputs first, each in a fresh region; now and then an input reuses another's memory (allowed).
        int next = 9;
        var slots = new List<Slot>();
        Slot Fresh(int length)
        {
            var s = new Slot(next, length);
            next += length + 9;
            slots.Add(s);
            return s;
        }

        Slot g = Fresh(Len(n));
        Slot x = gradient && f.Chance(0.03) ? g : Fresh(Len(n));
        Slot mins = Fresh(Len(c));
        Slot maxs = Fresh(Len(c));

        // Outputs: fresh, exactly an input (in place), or shifted onto any earlier slot.
        Slot Output(int length, Slot[] exactCandidates)
        {
            double r = f.Rng.NextDouble();
            if (r < 0.12 && exactCandidates.Length > 0)
            {
                Slot e = f.Pick(exactCandidates);
                return f.Chance(0.8) ? e : new Slot(e.Start, length);
            }

            if (r < 0.2 && slots.Count > 0)
            {
                Slot o = f.Pick(slots);
                var s = new Slot(Math.Max(0, o.Start + f.Int(-3, Math.Max(0, o.Length))), length);
                slots.Add(s);
                next = Math.Max(next, s.Start + s.Length + 9);
                return s;
            }

            return Fresh(length);
        }

        Slot y = Output(Len(n), gradient ? [g, x] : [x]);
        Slot dMin = Output(Len(c), []);
        Slot dMax = Output(Len(c), []);

        int numBits = f.NumBitsInt();
        bool narrow = f.Chance(0.5);
        float min = f.Chance(0.7) ? -(float)(f.Rng.NextDouble() * 8) : f.Float();
        float max = f.Chance(0.7) ? (float)(f.Rng.NextDouble() * 8) : f.Float();

        float[] arena = new float[next + 16];
        arena.AsSpan().Fill(BitConverter.Int32BitsToSingle(Canary));
        foreach (Slot s in new[] { g, x, mins, maxs })
        {
            for (int i = 0; i < s.Length; i++)
            {
                arena[s.Start + i] = f.Float();
            }
        }

        for (int i = 0; i < mins.Length && f.Chance(0.8); i++)
        {
            arena[mins.Start + i] = -(float)(f.Rng.NextDouble() * 8);
        }

        for (int i = 0; i < maxs.Length && f.Chance(0.8); i++)
        {
            arena[maxs.Start + i] = (float)(f.Rng.NextDouble() * 8);
        }

        // ---- the documented rules ----
        bool attrsOk = numBits is >= 2 and <= 16;
        if (kind is FakeQuantOpKind.Args or FakeQuantOpKind.ArgsGradient)
        {
            attrsOk &= Flush(min) < Flush(max);
        }

        bool lengthsOk = kind switch
        {
            FakeQuantOpKind.Args or FakeQuantOpKind.Vars => y.Length == x.Length,
            FakeQuantOpKind.ArgsGradient or FakeQuantOpKind.VarsGradient => g.Length == x.Length && y.Length == g.Length,
            FakeQuantOpKind.VarsPerChannel => mins.Length == maxs.Length && Multiple(x.Length, mins.Length) && y.Length == x.Length,
            _ => mins.Length == maxs.Length && Multiple(x.Length, mins.Length) && g.Length == x.Length && y.Length == x.Length &&
                 dMin.Length == mins.Length && dMax.Length == mins.Length,
        };
        bool InPlaceOk(Slot o, Slot i) => !o.Overlaps(i) || (o.Start == i.Start && o.Length == i.Length);
        bool aliasingOk = kind switch
        {
            FakeQuantOpKind.Args or FakeQuantOpKind.Vars => InPlaceOk(y, x),
            FakeQuantOpKind.ArgsGradient or FakeQuantOpKind.VarsGradient => InPlaceOk(y, g) && InPlaceOk(y, x),
            FakeQuantOpKind.VarsPerChannel => InPlaceOk(y, x) && !y.Overlaps(mins) && !y.Overlaps(maxs),
            _ => InPlaceOk(y, g) && InPlaceOk(y, x) && !y.Overlaps(mins) && !y.Overlaps(maxs) && !dMin.Overlaps(dMax) &&
                 new[] { g, x, mins, maxs, y }.All(s => !dMin.Overlaps(s) && !dMax.Overlaps(s)),
        };
        bool mustSucceed = attrsOk && lengthsOk && aliasingOk;

        int[] before = Array.ConvertAll(arena, BitConverter.SingleToInt32Bits);
        float vmin = mins.Length > 0 ? arena[mins.Start] : min, vmax = maxs.Length > 0 ? arena[maxs.Start] : max;
        float[][] snapshot = [g.In(arena).ToArray(), x.In(arena).ToArray(), mins.In(arena).ToArray(), maxs.In(arena).ToArray()];
        float outMin = 0, outMax = 0;
        string target = "FakeQuant." + kind;

        f.Call(target, () =>
        {
            try
            {
                switch (kind)
                {
                    case FakeQuantOpKind.Args:
                        FakeQuant.Args(x.In(arena), min, max, numBits, narrow, y.In(arena));
                        break;
                    case FakeQuantOpKind.ArgsGradient:
                        FakeQuant.ArgsGradient(g.In(arena), x.In(arena), min, max, numBits, narrow, y.In(arena));
                        break;
                    case FakeQuantOpKind.Vars:
                        FakeQuant.Vars(x.In(arena), vmin, vmax, numBits, narrow, y.In(arena));
                        break;
                    case FakeQuantOpKind.VarsGradient:
                        FakeQuant.VarsGradient(g.In(arena), x.In(arena), vmin, vmax, numBits, narrow, y.In(arena), out outMin, out outMax);
                        break;
                    case FakeQuantOpKind.VarsPerChannel:
                        FakeQuant.PerChannel(x.In(arena), mins.In(arena), maxs.In(arena), numBits, narrow, y.In(arena));
                        break;
                    default:
                        FakeQuant.PerChannelGradient(g.In(arena), x.In(arena), mins.In(arena), maxs.In(arena), numBits, narrow,
                            y.In(arena), dMin.In(arena), dMax.In(arena));
                        break;
                }
            }
            catch (ArgumentException)
            {
                if (mustSucceed)
                {
                    f.Wrong(target, $"rejected a valid call (n={n}, channels={c}, num_bits={numBits})");
                }

                if (!Array.ConvertAll(arena, BitConverter.SingleToInt32Bits).AsSpan().SequenceEqual(before))
                {
                    f.Wrong(target, "a rejected call wrote to memory");
                }

                throw;
            }

            if (!mustSucceed)
            {
                f.Wrong(target, $"accepted an invalid call (attrs ok {attrsOk}, lengths ok {lengthsOk}, aliasing ok {aliasingOk})");
                return;
            }

            float[][] reference = Oracle.Run(kind, numBits, narrow, min, max, kind switch
            {
                FakeQuantOpKind.Args => [snapshot[1]],
                FakeQuantOpKind.ArgsGradient => [snapshot[0], snapshot[1]],
                FakeQuantOpKind.Vars => [snapshot[1], [vmin], [vmax]],
                FakeQuantOpKind.VarsGradient => [snapshot[0], snapshot[1], [vmin], [vmax]],
                FakeQuantOpKind.VarsPerChannel => [snapshot[1], snapshot[2], snapshot[3]],
                _ => snapshot,
            });
            int[] expected = (int[])before.Clone();
            Put(expected, y, reference[0]);
            if (kind == FakeQuantOpKind.VarsPerChannelGradient)
            {
                Put(expected, dMin, reference[1]);
                Put(expected, dMax, reference[2]);
            }
            else if (kind == FakeQuantOpKind.VarsGradient && (!OpTargets.Same(outMin, reference[1][0]) || !OpTargets.Same(outMax, reference[2][0])))
            {
                f.Wrong(target, $"range gradients {outMin:R}, {outMax:R}; reference {reference[1][0]:R}, {reference[2][0]:R}");
            }

            for (int i = 0; i < arena.Length; i++)
            {
                int a = BitConverter.SingleToInt32Bits(arena[i]);
                if (a != expected[i] && !(float.IsNaN(arena[i]) && float.IsNaN(BitConverter.Int32BitsToSingle(expected[i])) && expected[i] != Canary && a != Canary))
                {
                    f.Wrong(target, $"arena[{i}] = 0x{a:X8}, expected 0x{expected[i]:X8} (wrong value or stray write)");
                    return;
                }
            }
        }, ex => ex is ArgumentException and not InvalidArgumentException);
    }

    private static bool Multiple(int length, int channels) => channels == 0 ? length == 0 : length % channels == 0;

    private static float Flush(float v) => float.IsSubnormal(v) ? MathF.CopySign(0f, v) : v;

    private static void Put(int[] bits, Slot s, float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            bits[s.Start + i] = BitConverter.SingleToInt32Bits(values[i]);
        }
    }
}
