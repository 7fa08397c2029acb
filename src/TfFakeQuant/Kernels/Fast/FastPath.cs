using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// Chooses the driver for a checked span call, builds its constants table (nudging once per
/// channel), pins the spans and runs it (see <see cref="KernelRun"/> and <see cref="PartRunner"/>).
/// Tables up to <see cref="ChannelTable.MaxPeriod"/> entries live on the stack; larger ones are
/// rented from <see cref="ArrayPool{T}.Shared"/> (no garbage).
/// </summary>
internal static unsafe class FastPath
{
    private const int StackTable = ChannelTable.Rows * ChannelTable.MaxPeriod;

    /// <summary>
    /// The vector width (bits; 0 = one lane) the kernels are built and run for: the active
    /// hardware width. Internal and settable so the tests can run the 512-bit drivers on a
    /// machine without AVX-512 (Vector512 then runs in software, slowly but with the same
    /// semantics); each call reads it once, so a change never splits a call between widths.
    /// </summary>
    internal static int WidthBits = FakeQuant.ActiveVectorWidthBits;

    /// <summary>Floats per 4 KiB page: the extra room a rented table gets for <see cref="HalfPageFrom"/>.</summary>
    private const int PageFloats = 1024;

    /// <summary>
    /// Where in a rented table buffer (<paramref name="buffer"/>, <see cref="PageFloats"/> floats
    /// of extra room) to start the table so that it lies half a page from
    /// <paramref name="output"/> modulo 4 KiB. A period that is a multiple of 1024 puts all the
    /// table's rows, and every entry's offset from the output element using it, at one fixed
    /// distance modulo 4 KiB for the whole call: if that distance made the table loads land
    /// just past the output's recent stores (the CPU's 4K-aliasing check), every vector stalled —
    /// the forward of 4096×4096 and 2048×8192 measured 0.54-0.55 of the yardstick in the
    /// processes where that happened and 0.95 in others. The start is also 64-byte aligned (no
    /// table vector straddles two cache lines), so the distance is 2048 to 2111 bytes.
    /// </summary>
    private static int HalfPageFrom(float* buffer, float* output)
    {
        const nuint page = PageFloats * sizeof(float);
        nuint target = ((nuint)output - (page / 2)) & ~(nuint)63;
        return (int)(((target - (nuint)buffer) % page) / sizeof(float));
    }

    /// <summary>Lanes of a width (1 for no intrinsics).</summary>
    private static int LanesOf(int widthBits) => widthBits == 0 ? 1 : widthBits / 32;

    /// <summary>
    /// Elements from which an output that overwrites no input is written with non-temporal
    /// stores. Such stores skip the read-for-ownership of every output line (12 instead of 16
    /// bytes of traffic per gradient element, 8 instead of 12 per forward element) but leave the
    /// output out of the caches, so they pay only when the operands could not stay cached anyway.
    /// Measured on the 2-core EPYC (32 MiB L3), quick mode, three runs each: at 2^20 the
    /// 1.2M-element [3,3,256,512] lost (forward 0.5-0.96, gradient 0.37-0.73 of the yardstick,
    /// against 1.0-1.2 and 0.7-0.9 without streaming); at 2^24 the 6.4M-element [32,56,56,64]
    /// lost (0.7 / 0.6 against 1.0 / 0.7-0.87 streamed). Between the two, the threshold is where
    /// the three operands no longer fit the L3: 3 · 2^20 elements are 36 MiB. (It was 2^22 until
    /// the d &lt; W gradient streamed too; its ~4M-element shapes, just under 2^22, then measured
    /// 0.42-0.54 streamed against 0.38-0.51 not.) In place they are never used (a line just read
    /// is cheaper to write through the cache: measured ~1.4× slower streamed). Internal and
    /// settable so the tests can run the streaming paths on small data (results are bitwise the
    /// same either way).
    /// </summary>
    internal static long StreamThreshold = 3 << 20;

    /// <summary>Whether a call over <paramref name="n"/> elements exceeds the L3 (<see cref="KernelRun.Large"/>: its drivers prefetch).</summary>
    private static bool BeyondCache(int n) => n >= StreamThreshold;

    /// <summary>
    /// Whether a call over <paramref name="n"/> elements streams its output (see
    /// <see cref="StreamThreshold"/>), and if so its lead: elements before the output is
    /// vector-aligned (0 otherwise).
    /// </summary>
    public static bool Streams(int lanes, nuint n, float* output, float* input, float* other, out nuint lead)
    {
        nuint bytes = (nuint)lanes * sizeof(float);
        lead = 0;
        if (lanes == 1 || (long)n < StreamThreshold || output == input || output == other || ((nuint)output % sizeof(float)) != 0)
        {
            return false;
        }

        lead = ((bytes - ((nuint)output % bytes)) % bytes) / sizeof(float);
        return true;
    }

    [SkipLocalsInit]
    public static void PerTensorForward(ReadOnlySpan<float> inputs, in QuantRange q, bool divide, Span<float> outputs)
    {
        if (inputs.IsEmpty)
        {
            return;
        }

        int width = WidthBits;
        int period = LanesOf(width);
        float* table = stackalloc float[ChannelTable.Rows * 16];
        bool safe = ChannelTable.Fill(new Span<float>(table, ChannelTable.Rows * period), period, q, dazBounds: false);
        fixed (float* px = inputs, py = outputs)
        {
            var run = new KernelRun
            {
                Kind = DriverKind.ForwardPattern, WidthBits = width, X = px, Out = py, Table = table, Period = (nuint)period,
                Elements = (nuint)inputs.Length, Large = BeyondCache(inputs.Length), Divide = divide, Safe = safe, AnyZeroRange = q.IsZeroRange,
            };
            run.Stream = Streams(period, run.Elements, py, px, px, out run.Lead);
            PartRunner.Run(run, FakeQuant.MaxDegreeOfParallelism);
        }
    }

    [SkipLocalsInit]
    public static void PerTensorBackprop(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, in QuantRange q, Span<float> backprops)
    {
        if (inputs.IsEmpty)
        {
            return;
        }

        int width = WidthBits;
        int period = LanesOf(width);
        float* table = stackalloc float[ChannelTable.Rows * 16];
        ChannelTable.Fill(new Span<float>(table, ChannelTable.Rows * period), period, q, dazBounds: true);
        fixed (float* pg = gradients, px = inputs, pb = backprops)
        {
            var run = new KernelRun
            {
                Kind = DriverKind.BackpropPattern, WidthBits = width, G = pg, X = px, Out = pb, Table = table, Period = (nuint)period,
                Elements = (nuint)inputs.Length, Large = BeyondCache(inputs.Length),
            };
            run.Stream = Streams(period, run.Elements, pb, pg, px, out run.Lead);
            PartRunner.Run(run, FakeQuant.MaxDegreeOfParallelism);
        }
    }

    /// <summary>VarsGradient: the per-channel gradient with one channel (sums in <see cref="SumTree"/> order over the elements).</summary>
    [SkipLocalsInit]
    public static void PerTensorGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, in QuantRange q, Span<float> backprops,
        out float sumMin, out float sumMax)
    {
        float* sums = stackalloc float[2];
        sums[0] = 0f;
        sums[1] = 0f;
        if (!inputs.IsEmpty)
        {
            int width = WidthBits;
            int period = LanesOf(width);
            float* table = stackalloc float[ChannelTable.Rows * 16];
            ChannelTable.Fill(new Span<float>(table, ChannelTable.Rows * period), period, q, dazBounds: true);
            fixed (float* pg = gradients, px = inputs, pb = backprops)
            {
                var run = new KernelRun
                {
                    Kind = DriverKind.GradientPattern, WidthBits = width, G = pg, X = px, Out = pb, SumMin = sums, SumMax = sums + 1, Table = table,
                    Period = (nuint)period, Elements = (nuint)inputs.Length, Large = BeyondCache(inputs.Length), Rows = (nuint)inputs.Length, Channels = 1,
                    Inner = 1, AnyZeroRange = q.IsZeroRange,
                };
                run.Stream = Streams(period, run.Elements, pb, pg, px, out run.Lead);
                RunGradient(ref run);
            }
        }

        sumMin = sums[0];
        sumMax = sums[1];
    }

    /// <summary>Per-channel forward over <c>[outer, channels, inner]</c> (<c>inner = 1</c>: channel last).</summary>
    [SkipLocalsInit]
    public static void PerChannelForward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange,
        Span<float> outputs, long outer, int channels, long inner)
    {
        if (inputs.IsEmpty)
        {
            return;
        }

        var run = new KernelRun
        {
            WidthBits = WidthBits, Elements = (nuint)inputs.Length, Large = BeyondCache(inputs.Length), Rows = (nuint)outer, Channels = (nuint)channels, Inner = (nuint)inner,
        };
        int lanes = LanesOf(run.WidthBits);
        int period;
        if (inner == 1 && (ChannelTable.Lcm(channels, lanes) <= ChannelTable.MaxPeriod || (channels % lanes == 0 && channels <= Driver<SimdScalar, float>.StreamMaxChannels)))
        {
            run.Kind = DriverKind.ForwardPattern;
            period = (int)ChannelTable.Lcm(channels, lanes);
        }
        else
        {
            run.Kind = inner == 1 ? DriverKind.ForwardRows : DriverKind.ForwardRuns;
            period = channels;
        }

        run.Period = (nuint)period;
        int size = ChannelTable.Rows * period;
        float[]? rented = null;
        Span<float> table = size <= StackTable ? stackalloc float[StackTable] : (rented = ArrayPool<float>.Shared.Rent(size + PageFloats));
        try
        {
            fixed (float* px = inputs, py = outputs, pt = table)
            {
                run.X = px;
                run.Out = py;
                run.Stream = run.Kind == DriverKind.ForwardPattern && Streams(lanes, run.Elements, py, px, px, out run.Lead);
                int start = rented is null ? 0 : HalfPageFrom(pt, py + run.Lead);
                run.Table = pt + start;
                run.Safe = ChannelTable.Fill(table.Slice(start, size), period, (int)run.Lead, min, max, numBits, narrowRange, dazBounds: false, out run.AnyZeroRange);
                PartRunner.Run(run, FakeQuant.MaxDegreeOfParallelism);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Per-channel gradient over <c>[outer, channels, inner]</c> (<c>inner = 1</c>: channel last).</summary>
    [SkipLocalsInit]
    public static void PerChannelGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max,
        int numBits, bool narrowRange, Span<float> backprops, Span<float> sumMin, Span<float> sumMax, long outer, int channels, long inner)
    {
        sumMin.Clear();
        sumMax.Clear();
        if (inputs.IsEmpty)
        {
            return;
        }

        var run = new KernelRun
        {
            WidthBits = WidthBits, Elements = (nuint)inputs.Length, Large = BeyondCache(inputs.Length), Rows = (nuint)outer, Channels = (nuint)channels, Inner = (nuint)inner,
        };
        int lanes = LanesOf(run.WidthBits);
        int period;
        if (inner != 1)
        {
            run.Kind = DriverKind.GradientRuns;
            period = channels;
        }
        else if (channels % lanes == 0 && channels <= Driver<SimdScalar, float>.StreamMaxChannels)
        {
            run.Kind = DriverKind.GradientStream;
            period = channels;
        }
        else if (channels >= lanes)
        {
            run.Kind = DriverKind.GradientColumns;
            period = channels;
        }
        else if (Driver<SimdScalar, float>.RoundsTake((nuint)channels, (nuint)lanes))
        {
            run.Kind = DriverKind.GradientRounds;
            period = (int)ChannelTable.Lcm(channels, lanes);
        }
        else
        {
            run.Kind = DriverKind.GradientPattern;
            period = (int)ChannelTable.Lcm(channels, lanes);
        }

        run.Period = (nuint)period;
        int size = ChannelTable.Rows * period;
        float[]? rented = null;
        Span<float> table = size <= StackTable ? stackalloc float[StackTable] : (rented = ArrayPool<float>.Shared.Rent(size));
        try
        {
            fixed (float* pg = gradients, px = inputs, pb = backprops, pMin = sumMin, pMax = sumMax, pt = table)
            {
                // The pattern and rounds drivers read a table rotated by the lead; the stream driver rotates its own copies.
                bool rotated = run.Kind is DriverKind.GradientPattern or DriverKind.GradientRounds;
                nuint lead = 0;
                run.Stream = (rotated || run.Kind is DriverKind.GradientStream or DriverKind.GradientRuns) && Streams(lanes, run.Elements, pb, pg, px, out lead);
                // The runs stream each run from its own aligned element on (lead per run, not per call).
                run.Lead = run.Kind == DriverKind.GradientRuns ? 0 : lead;

                ChannelTable.Fill(table[..size], period, rotated ? (int)run.Lead : 0, min, max, numBits, narrowRange,
                    dazBounds: true, out run.AnyZeroRange);
                run.G = pg;
                run.X = px;
                run.Out = pb;
                run.SumMin = pMin;
                run.SumMax = pMax;
                run.Table = pt;
                run.RowEnd = run.Rows * run.Inner;
                RunGradient(ref run);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Runs a gradient call in <see cref="SumTree"/> order. A tensor of one leaf runs its driver
    /// as it is (on one thread, except an inner-axis gradient's channel split). A larger one runs
    /// as a <see cref="DriverKind.GradientTree"/>: with two threads or more allowed, from
    /// <see cref="KernelRun.ParallelThreshold"/> elements on, the tree's top levels (one per
    /// doubling of the threads, at most three) give one subtree per part, each evaluated on its
    /// thread leaf by leaf; then their sums are added up those levels here, in the tree's order.
    /// Every part's leaves are whole driver calls on one thread, and every sum is the same chain
    /// of flushed additions whatever the part count, so the bits are those of one thread.
    /// </summary>
    private static void RunGradient(ref KernelRun run)
    {
        long rows = (long)(run.Rows * run.Inner), units = SumTree.Units(rows), channels = (long)run.Channels;
        if (SumTree.IsLeaf(0, units, rows, channels))
        {
            PartRunner.Run(run, FakeQuant.MaxDegreeOfParallelism);
            return;
        }

        int threads = FakeQuant.MaxDegreeOfParallelism;
        int levels = threads >= 2 && (long)run.Elements >= KernelRun.ParallelThreshold ? Math.Min(3, BitOperations.Log2((uint)threads)) : 0;
        nuint partFloats = 2 * run.Channels * (nuint)(SumTree.Depth(0, units, rows, channels) + 1);
        if ((ulong)partFloats << levels > (ulong)Array.MaxLength)
        {
            levels = 0; // one part's scratch always fits: partFloats is a small multiple of the rows' channels
        }

        nuint* frontier = stackalloc nuint[2 << 3];
        int count = 0;
        Collect(0, units, 0, levels, rows, channels, frontier, ref count);
        float[] partials = ArrayPool<float>.Shared.Rent((int)((nuint)count * partFloats));
        try
        {
            fixed (float* pp = partials)
            {
                run.LeafKind = run.Kind;
                run.Kind = DriverKind.GradientTree;
                run.Frontier = frontier;
                run.FrontierCount = count;
                run.Partials = pp;
                run.PartFloats = partFloats;
                PartRunner.Run(run, count);
                int next = 0;
                float* sums = Combine(run, 0, units, 0, levels, rows, ref next);
                new Span<float>(sums, (int)run.Channels).CopyTo(new Span<float>(run.SumMin, (int)run.Channels));
                new Span<float>(sums + run.Channels, (int)run.Channels).CopyTo(new Span<float>(run.SumMax, (int)run.Channels));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>Whether the node <c>[u0, u1)</c> at <paramref name="level"/> is one a part evaluates: at <paramref name="levels"/> below the root, or a leaf above that.</summary>
    private static bool IsPart(long u0, long u1, int level, int levels, long rows, long channels) =>
        level == levels || SumTree.IsLeaf(u0, u1, rows, channels);

    /// <summary>The parts' subtrees of <c>[u0, u1)</c> (<see cref="IsPart"/>), left to right, into <paramref name="frontier"/>.</summary>
    private static void Collect(long u0, long u1, int level, int levels, long rows, long channels, nuint* frontier, ref int count)
    {
        if (IsPart(u0, u1, level, levels, rows, channels))
        {
            frontier[2 * count] = (nuint)u0;
            frontier[(2 * count) + 1] = (nuint)u1;
            count++;
            return;
        }

        long m = SumTree.Mid(u0, u1);
        Collect(u0, m, level + 1, levels, rows, channels, frontier, ref count);
        Collect(m, u1, level + 1, levels, rows, channels, frontier, ref count);
    }

    /// <summary>
    /// The sums of <c>[u0, u1)</c> from its parts' sums (<see cref="Collect"/>'s order): a
    /// frontier node's are its part's; an inner node's, its left plus its right (into the left's).
    /// </summary>
    private static float* Combine(in KernelRun run, long u0, long u1, int level, int levels, long rows, ref int next)
    {
        if (IsPart(u0, u1, level, levels, rows, (long)run.Channels))
        {
            return run.Partials + ((nuint)next++ * run.PartFloats);
        }

        long m = SumTree.Mid(u0, u1);
        float* left = Combine(run, u0, m, level + 1, levels, rows, ref next);
        float* right = Combine(run, m, u1, level + 1, levels, rows, ref next);
        run.AddFlushed(left, right, 2 * run.Channels); // a part's min sums and max sums are adjacent
        return left;
    }
}
