using TfFakeQuant.Kernels;

namespace TfFakeQuant.Benchmarks;

/// <summary>The benchmark shapes (channel = last axis, as TensorFlow's op) and their data.</summary>
public static class Shapes
{
    /// <summary>
    /// Issue #4's shapes plus odd channel counts 1, 3, 7 (about 4M elements each).
    /// </summary>
    public static readonly string[] All =
    [
        "2097152x8", "262144x64", "32768x512", "16384x1000", "32x56x56x64", "3x3x256x512", "1024x1000", "3x3x16x16",
        "4194304x1", "1398101x3", "599186x7",
    ];

    /// <summary>The dimensions of a shape name like <c>32x64x56x56</c> (an <c>@axis</c> suffix is not part of them).</summary>
    public static long[] Parse(string shape) => shape.Split('@')[0].Split('x').Select(long.Parse).ToArray();

    /// <summary>The channel axis of a shape name: <c>32x64x56x56@1</c> has channel axis 1; without a suffix, the last axis.</summary>
    public static int AxisOf(string shape) => shape.Contains('@') ? int.Parse(shape.Split('@')[1]) : Parse(shape).Length - 1;

    /// <summary>
    /// Data for a shape: per-channel ranges drawn around [-1, 1]; inputs uniform over the range
    /// widened by 10% of its width on each side (so roughly 8% of elements fall outside, as
    /// clipped activations in QAT); gradients uniform in [-1, 1]. Seeded. The channel is the last
    /// axis (TensorFlow's op) unless the name carries an <c>@axis</c> (the axis overloads).
    /// </summary>
    public sealed class Data
    {
        private readonly long[] _dims;
        private readonly int _axis;

        public Data(string shape)
        {
            long[] dims = Parse(shape);
            _dims = dims;
            _axis = AxisOf(shape);
            Channels = (int)dims[_axis];
            long inner = dims[(_axis + 1)..].Aggregate(1L, (p, v) => p * v);
            int n = (int)dims.Aggregate(1L, (p, v) => p * v);
            var rng = new Random(20261127);
            Min = new float[Channels];
            Max = new float[Channels];
            for (int c = 0; c < Channels; c++)
            {
                Min[c] = -0.5f - (float)rng.NextDouble();
                Max[c] = 0.5f + (float)rng.NextDouble();
            }

            X = new float[n];
            G = new float[n];
            Out = new float[n];
            for (int i = 0; i < n; i++)
            {
                int c = (int)(i / inner % Channels);
                float w = Max[c] - Min[c];
                X[i] = Min[c] - (0.1f * w) + ((float)rng.NextDouble() * 1.2f * w);
                G[i] = (float)((rng.NextDouble() * 2) - 1);
            }

            SumMin = new float[Channels];
            SumMax = new float[Channels];
        }

        public int Channels { get; }

        public float[] Min { get; }

        public float[] Max { get; }

        public float[] X { get; }

        public float[] G { get; }

        public float[] Out { get; }

        public float[] SumMin { get; }

        public float[] SumMax { get; }

        public void Gradient() => FakeQuant.PerChannelGradient(G, X, _dims, _axis, Min, Max, 8, false, Out, SumMin, SumMax);

        public void Forward() => FakeQuant.PerChannel(X, _dims, _axis, Min, Max, 8, false, Out);

        public void ReferenceGradient()
        {
            if (_axis != _dims.Length - 1)
            {
                throw new NotSupportedException("The reference kernels take the channel on the last axis.");
            }

            FakeQuantReference.PerChannelGradient(G, X, Min, Max, 8, false, Out, SumMin, SumMax);
        }

        /// <summary>The bandwidth yardstick: two reads and one write over the same element count.</summary>
        public void Yardstick() => System.Numerics.Tensors.TensorPrimitives.Multiply(G, X, Out);

        /// <summary>
        /// The yardstick on two threads: each multiplies one half (64-byte aligned split); below the
        /// kernels' crossover it stays on one thread, as the kernels do.
        /// </summary>
        public void Yardstick2()
        {
            if (X.Length < TfFakeQuant.Kernels.Fast.KernelRun.ParallelThreshold)
            {
                Yardstick();
                return;
            }

            int half = X.Length / 2 / 16 * 16;
            Parallel.Invoke(
                () => System.Numerics.Tensors.TensorPrimitives.Multiply(G.AsSpan(0, half), X.AsSpan(0, half), Out.AsSpan(0, half)),
                () => System.Numerics.Tensors.TensorPrimitives.Multiply(G.AsSpan(half), X.AsSpan(half), Out.AsSpan(half)));
        }
    }
}
