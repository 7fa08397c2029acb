using System.Text.RegularExpressions;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// The state of one fuzz iteration: its random source (seeded from the run seed and the
/// iteration index, so any iteration can be replayed alone) and the tally every target reports
/// its calls into.
/// </summary>
internal sealed partial class FuzzContext(Tally tally)
{
    public Random Rng { get; private set; } = new(0);

    public long Iteration { get; private set; }

    public Tally Tally { get; } = tally;

    /// <summary>The seed of iteration <paramref name="iteration"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static int IterationSeed(long seed, long iteration)
    {
        // SplitMix64 of (seed, iteration): well-mixed, stable across runtimes.
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)iteration + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }

    public void Begin(long seed, long iteration)
    {
        Iteration = iteration;
        Rng = new Random(IterationSeed(seed, iteration));
    }

    // ---- random helpers ----

    public bool Chance(double p) => Rng.NextDouble() < p;

    public int Int(int minInclusive, int maxInclusive) => Rng.Next(minInclusive, maxInclusive + 1);

    public T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];

    private static readonly float[] SpecialFloats =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7FA0_0001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFFF_FFFF)),
        float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon, 1e-45f, -3e-39f,
        1.17549435E-38f, -1.17549435E-38f, BitConverter.Int32BitsToSingle(0x007F_FFFF), 1e-36f, float.MaxValue, float.MinValue,
        0.5f, -0.5f, 1f, -1f, 6f, -6f, 127.5f, -0.75f, 0.75f, 10f, -10f, 12f, 123f,
    ];

    /// <summary>A float: ordinary, special, on a grid, or any bit pattern.</summary>
    public float Float() => Rng.Next(10) switch
    {
        < 4 => (float)(Rng.NextDouble() * 16 - 8),
        < 6 => Rng.Next(-600, 601) / 20f,
        < 9 => SpecialFloats[Rng.Next(SpecialFloats.Length)],
        _ => BitConverter.Int32BitsToSingle(Rng.Next() ^ (Rng.Next(2) << 31)),
    };

    public float[] Floats(int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = Float();
        }

        return a;
    }

    /// <summary>An int64 num_bits: valid, near the range, or an int32/int64 extreme.</summary>
    public long NumBits() => Rng.Next(12) switch
    {
        < 7 => Rng.Next(2, 17),
        < 10 => Rng.Next(-5, 41),
        _ => Pick(new[] { long.MinValue, long.MaxValue, int.MaxValue, int.MinValue, int.MaxValue + 1L, int.MinValue - 1L, 1L << 32, (1L << 32) + 8, -1L, 0L }),
    };

    /// <summary>An int num_bits for the span API.</summary>
    public int NumBitsInt() => Rng.Next(10) switch
    {
        < 6 => Rng.Next(2, 17),
        < 9 => Rng.Next(-5, 41),
        _ => Pick(new[] { int.MinValue, int.MaxValue, -1, 0, 1, 17, 31, 32, 33, 64 }),
    };

    /// <summary>Dimensions: rank 0..7, small sizes with zeros, now and then a huge dim beside a zero.</summary>
    public long[] Dims(int maxElements = 2048, bool huge = true)
    {
        int rank = Rng.Next(10) switch { < 2 => 0, < 6 => Rng.Next(1, 3), _ => Rng.Next(3, 8) };
        var dims = new long[rank];
        long n = 1;
        for (int i = 0; i < rank; i++)
        {
            long limit = Math.Max(1, maxElements / Math.Max(1, n));
            dims[i] = Rng.Next(8) == 0 ? 0 : Rng.NextInt64(0, Math.Min(limit, rank <= 2 ? 64 : 5) + 1);
            n = Math.Max(1, n * Math.Max(1, dims[i]));
        }

        if (huge && rank > 0 && Chance(0.02))
        {
            // A huge dimension next to a zero one: zero elements, but overflow-prone index arithmetic.
            dims[Rng.Next(rank)] = Pick(new[] { 1L << 31, 1L << 40, long.MaxValue / 2, long.MaxValue, int.MaxValue + 1L });
            if (!dims.Contains(0))
            {
                dims[Rng.Next(rank)] = 0;
            }
        }

        return dims;
    }

    // ---- outcome bookkeeping ----

    /// <summary>
    /// Runs one public-API call. <paramref name="documented"/> says which exception types the
    /// API documents for it; anything else, or a result the check rejects, is a crash.
    /// </summary>
    public void Call(string target, Action call, Func<Exception, bool> documented)
    {
        Tally.Calls++;
        try
        {
            call();
        }
        catch (Exception ex) when (documented(ex))
        {
            Tally.Throw(ex);
            if (ex is Ops.InvalidArgumentException && !IsTensorFlowText(ex.Message))
            {
                Tally.Crash(Iteration, target, $"InvalidArgumentException with a text TensorFlow does not use: \"{ex.Message}\"", ex);
            }
        }
        catch (Exception ex)
        {
            Tally.Throw(ex);
            Tally.Crash(Iteration, target, "undocumented exception", ex);
        }
    }

    /// <summary>Records a wrong result (a silent-garbage bug) as a crash.</summary>
    public void Wrong(string target, string what) => Tally.Crash(Iteration, target, what, null);

    [GeneratedRegex(@"^(min has to be smaller than max, was: \S+ >= \S+" +
        @"|Attr num_bits has value -?\d+ out of range for an int32" +
        @"|num_bits must be between 2 and 16, inclusive" +
        @"|Inputs to operation .+ of type FakeQuantWithMinMaxArgsGradient must have the same size and shape\.  Input 0: \[[\d,]*\] != input 1: \[[\d,]*\]" +
        @"|gradient and input must be the same size" +
        @"|`(min|max)` must be rank [01] but is rank \d+" +
        @"|(min|max) has incorrect size, expected \d+ was \d+" +
        @"|Shape must be (at least |at most )?rank \d+ but is rank \d+" +
        @"|Shapes must be equal rank, but are \d+ and \d+" +
        @"|Dimension \d+ in both shapes must be equal, but are \d+ and \d+\. Shapes are \[[\d,?]*\] and \[[\d,?]*\]\." +
        @"|Dimensions must be equal, but are \d+ and \d+" +
        // graph execution (session and kernel texts of the ops the executor runs)
        @"|You must feed a value for placeholder tensor '[^']+' with dtype \w+( and shape \[[\d,?]*\])?" +
        @"|Cannot feed value of shape \([\d, ]*\) for Tensor \S+, which has shape (\([\d, ?None]*\)|<unknown>)" +
        @"|dims must be a vector, got shape \[[\d,]*\]|value must be a scalar, got shape \[[\d,]*\]" +
        @"|Inputs to operation .+ of type AddN must have the same size and shape\.  Input 0: \[[\d,]*\] != input \d+: \[[\d,]*\]" +
        // the executor's own texts for malformed constants and fills (no TensorFlow equivalent)
        @"|Const '[^']*': .+|Fill: dimension -?\d+ is negative .+|Node '[^']*': a tensor of shape .+ is larger than one array can hold\.)$", RegexOptions.Singleline)]
    private static partial Regex TensorFlowTexts();

    /// <summary>Whether <paramref name="message"/> is one of TensorFlow's texts for these ops (SPEC.md).</summary>
    public static bool IsTensorFlowText(string message) => TensorFlowTexts().IsMatch(message);
}
