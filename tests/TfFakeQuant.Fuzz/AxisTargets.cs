using TfFakeQuant.Kernels;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// Fuzz target of the axis overloads (<c>FakeQuant.PerChannel(inputs, shape, axis, ...)</c>):
/// random shapes (zero, negative, huge and wrapping dims), axes in and out of range, lengths that
/// do or do not match. A valid call must equal the reference applied per channel (the channel's
/// elements gathered in outer-then-inner order, which is how the sums are ordered).
/// </summary>
internal static class AxisTargets
{
    public static void PerChannel(FuzzContext f)
    {
        int rank = f.Int(0, 5);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = f.Int(0, 30) switch
            {
                0 => f.Pick(new[] { -1L, 1L << 62, 1L << 40, long.MaxValue, 1L << 31 }),
                1 => 0,
                _ => f.Int(1, 6),
            };
        }

        int axis = f.Chance(0.9) && rank > 0 ? f.Int(-rank, rank - 1) : f.Pick(new[] { rank, -rank - 1, int.MinValue, int.MaxValue, 0 });
        long total = 1;
        bool sane = rank > 0 && shape.All(d => d is >= 0 and <= 64);
        foreach (long d in shape)
        {
            total = sane ? total * d : 0;
        }

        int length = sane && f.Chance(0.95) ? (int)total : f.Int(0, 8);
        int a = rank == 0 ? 0 : axis < 0 ? axis + rank : axis;
        bool axisOk = rank > 0 && axis >= -rank && axis < rank;
        int channels = axisOk && shape[a] is >= 0 and <= 64 ? (int)shape[a] : f.Int(0, 4);
        if (f.Chance(0.03))
        {
            channels = Math.Max(0, channels + f.Int(-1, 1));
        }

        int numBits = f.NumBitsInt();
        bool narrow = f.Chance(0.5);
        float[] x = f.Floats(length), g = f.Floats(length);
        float[] mins = Enumerable.Range(0, channels).Select(_ => f.Chance(0.9) ? -(float)(f.Rng.NextDouble() * 8) : f.Float()).ToArray();
        float[] maxs = Enumerable.Range(0, channels).Select(_ => f.Chance(0.9) ? (float)(f.Rng.NextDouble() * 8) : f.Float()).ToArray();
        // The documented rule: rank ≥ 1, dims ≥ 0, product(shape) == length (any dim may be huge beside a 0), min/max of shape[axis].
        System.Numerics.BigInteger product = shape.Aggregate(System.Numerics.BigInteger.One, (p, v) => p * v);
        bool valid = rank > 0 && shape.All(v => v >= 0) && axisOk && product == length && channels == shape[a] && numBits is >= 2 and <= 16;
        bool gradient = f.Chance(0.5);
        float[] y = new float[length], dMin = new float[channels], dMax = new float[channels];

        f.Call(gradient ? "FakeQuant.PerChannelGradient(axis)" : "FakeQuant.PerChannel(axis)", () =>
        {
            if (gradient)
            {
                FakeQuant.PerChannelGradient(g, x, shape, axis, mins, maxs, numBits, narrow, y, dMin, dMax);
            }
            else
            {
                FakeQuant.PerChannel(x, shape, axis, mins, maxs, numBits, narrow, y);
            }

            if (!valid)
            {
                f.Wrong("FakeQuant.PerChannel(axis)", $"accepted shape [{string.Join(",", shape)}], axis {axis}, length {length}, channels {channels}, num_bits {numBits}");
                return;
            }

            // Reference: gather each channel's elements (outer-major, then inner) and run the scalar kernel on them.
            long inner = 1;
            for (int i = a + 1; i < rank; i++)
            {
                inner *= shape[i];
            }

            for (int c = 0; c < channels; c++)
            {
                var idx = new List<int>();
                for (int i = 0; i < length; i++)
                {
                    if ((i / inner) % channels == c)
                    {
                        idx.Add(i);
                    }
                }

                float[] xs = idx.Select(i => x[i]).ToArray(), gs = idx.Select(i => g[i]).ToArray(), ys = new float[xs.Length];
                float[] rMin = new float[1], rMax = new float[1];
                if (gradient)
                {
                    FakeQuantReference.PerChannelGradient(gs, xs, [mins[c]], [maxs[c]], numBits, narrow, ys, rMin, rMax);
                    if (!OpTargets.Same(rMin[0], dMin[c]) || !OpTargets.Same(rMax[0], dMax[c]))
                    {
                        f.Wrong("FakeQuant.PerChannelGradient(axis)", $"channel {c} sums {dMin[c]:R}, {dMax[c]:R}; reference {rMin[0]:R}, {rMax[0]:R}");
                        return;
                    }
                }
                else
                {
                    FakeQuantReference.PerChannel(xs, [mins[c]], [maxs[c]], numBits, narrow, ys);
                }

                for (int k = 0; k < idx.Count; k++)
                {
                    if (!OpTargets.Same(ys[k], y[idx[k]]))
                    {
                        f.Wrong("FakeQuant.PerChannel(axis)", $"shape [{string.Join(",", shape)}] axis {axis}: element {idx[k]} = {y[idx[k]]:R}, reference {ys[k]:R}");
                        return;
                    }
                }
            }
        }, ex => !valid && ex is ArgumentException);
    }
}
