using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>Which driver a <see cref="KernelRun"/> runs.</summary>
internal enum DriverKind
{
    /// <summary><see cref="Driver{S, TV}.ForwardPattern"/>: elementwise; splits by element blocks.</summary>
    ForwardPattern,

    /// <summary><see cref="Driver{S, TV}.ForwardRows"/>: elementwise; splits by rows.</summary>
    ForwardRows,

    /// <summary><see cref="Driver{S, TV}.ForwardRuns"/>: elementwise; splits by runs.</summary>
    ForwardRuns,

    /// <summary><see cref="Driver{S, TV}.BackpropPattern"/>: elementwise; splits by element blocks.</summary>
    BackpropPattern,

    /// <summary><see cref="Driver{S, TV}.GradientColumns"/>: splits by channel groups (sums stay in row order).</summary>
    GradientColumns,

    /// <summary><see cref="Driver{S, TV}.GradientStream"/>: one part (each channel's sums in row order).</summary>
    GradientStream,

    /// <summary>
    /// <see cref="Driver{S, TV}.GradientPattern"/> (d = 1 and d &lt; W with ceil(W/d) &gt; <see cref="Driver{S, TV}.MaxRounds"/>; the sums are serial chains): one part.
    /// </summary>
    GradientPattern,

    /// <summary><see cref="Driver{S, TV}.GradientRuns"/>: splits by channels.</summary>
    GradientRuns,

    /// <summary><see cref="Driver{S, TV}.GradientRounds"/> (2 ≤ d &lt; W, the sums in vector lanes): one part.</summary>
    GradientRounds,

    /// <summary>
    /// A gradient over more than one <see cref="SumTree"/> leaf: each leaf runs
    /// <see cref="KernelRun.LeafKind"/> on one thread, the parts take whole subtrees
    /// (<see cref="KernelRun.Frontier"/>) and <see cref="FastPath"/> adds their sums up the tree.
    /// </summary>
    GradientTree,
}

/// <summary>
/// One kernel call: raw pointers to pinned (or stack) memory so that parts can run on pool
/// threads while the caller, which owns the memory, waits. Every range a part gets is a pure
/// function of the shape and the part count, and no driver's result depends on the split:
/// elementwise drivers have no cross-element state; a gradient of one <see cref="SumTree"/> leaf
/// splits only across channels (inner axis), each channel's sums computed by one thread over
/// the leaf's rows in order; a larger gradient (<see cref="DriverKind.GradientTree"/>) gives
/// each part whole subtrees, whose sums are added in the tree's order afterwards. Hence the
/// result is bitwise the same for every thread count.
/// </summary>
internal unsafe struct KernelRun
{
    public DriverKind Kind;

    /// <summary>The vector width the call's tables were built for (<see cref="FastPath.WidthBits"/>, read once per call).</summary>
    public int WidthBits;
    public float* G;
    public float* X;
    public float* Out;
    public float* SumMin;
    public float* SumMax;
    public float* Table;
    public nuint Period;
    public nuint Elements;
    public nuint Rows;
    public nuint Channels;
    public nuint Inner;
    public bool Divide;

    /// <summary>Every channel passes <see cref="ChannelTable.IsSafeForward"/>: the forward may skip provably idle flushes.</summary>
    public bool Safe;

    /// <summary>Some channel is TensorFlow's zero-range case (min = max = 0): the gradient takes its exact path throughout, the forward keeps its +0 mask.</summary>
    public bool AnyZeroRange;

    /// <summary>
    /// Write the output with non-temporal stores (<see cref="FastPath.Streams"/>); the pattern and
    /// stream drivers then start their vectors <see cref="Lead"/> elements into each part.
    /// </summary>
    public bool Stream;

    /// <summary>Elements before the output is vector-aligned (0 unless <see cref="Stream"/>); the table is rotated by it.</summary>
    public nuint Lead;

    /// <summary>The output overwrites an input (the only overlap the API allows is exact): the pattern gradient then keeps the lane masks its rare rebuild needs.</summary>
    public readonly bool InPlace => Out == G || Out == X;

    /// <summary>
    /// The call's operands exceed the L3 (<see cref="FastPath.StreamThreshold"/>, whether or not it
    /// streams its output: in place it does not): the drivers prefetch. On cache-resident data a
    /// prefetch only costs instructions. Set once per call (<see cref="FastPath"/>): the leaves of
    /// a <see cref="DriverKind.GradientTree"/> keep the whole call's value.
    /// </summary>
    public bool Large;

    /// <summary>
    /// <see cref="DriverKind.GradientRuns"/>: the rows <c>[RowStart, RowEnd)</c> of the transposed
    /// view <c>[Rows · Inner, Channels]</c> this run covers — all of them, or a sum-tree leaf's,
    /// which may begin or end inside an outer row.
    /// </summary>
    public nuint RowStart;

    /// <summary>The end of <see cref="RowStart"/>'s range.</summary>
    public nuint RowEnd;

    /// <summary><see cref="DriverKind.GradientTree"/>: the driver each leaf runs.</summary>
    public DriverKind LeafKind;

    /// <summary><see cref="DriverKind.GradientTree"/>: the subtrees the parts evaluate, units <c>[Frontier[2p], Frontier[2p + 1])</c> for part p.</summary>
    public nuint* Frontier;

    /// <summary>How many subtrees <see cref="Frontier"/> holds: the tree call's part count.</summary>
    public int FrontierCount;

    /// <summary>
    /// <see cref="DriverKind.GradientTree"/>: <see cref="PartFloats"/> floats of scratch per part:
    /// its subtree's sums (min then max, <see cref="Channels"/> each), then one such pair per level
    /// below the subtree's root for the right children's sums.
    /// </summary>
    public float* Partials;

    /// <summary>Floats of <see cref="Partials"/> per part.</summary>
    public nuint PartFloats;

    /// <summary>
    /// Elements below which a call stays on the calling thread (2^18 = 1 MiB per operand). Basis:
    /// on the 2-core AVX2 box the quick mode measured one call on 64K elements at 30-80 µs on
    /// one thread, the same order as handing a part to the thread pool and waiting for it on that
    /// heavily shared machine (5-30 µs seen for the 2-thread yardstick on small shapes), so
    /// splitting below ~256K elements cannot pay reliably. Not a finely resolved crossover: the
    /// machine was too loaded to resolve it better.
    /// </summary>
    public const long ParallelThreshold = 1 << 18;

    /// <summary>Element block granularity of elementwise splits: 64 bytes, so parts never share a cache line.</summary>
    private const nuint Line = 16;

    /// <summary>How many parts this call can usefully be split into, at most <paramref name="maxParts"/>.</summary>
    public readonly int PartsFor(int maxParts)
    {
        if (Kind == DriverKind.GradientTree)
        {
            return FrontierCount; // FastPath chose the subtrees for the threads allowed; each must run
        }

        if (maxParts <= 1 || (long)Elements < ParallelThreshold)
        {
            return 1;
        }

        nuint units = Kind switch
        {
            DriverKind.ForwardPattern or DriverKind.BackpropPattern => Elements / (Period * Line),
            DriverKind.ForwardRows => Rows,
            DriverKind.ForwardRuns => Rows * Channels,
            // A channel-last gradient of one SumTree leaf stays on one thread (larger ones run as
            // a GradientTree, parts taking subtrees). Splitting its channels (exact; ColumnSplit)
            // was measured 2.5-5x SLOWER than one thread on the 2-vCPU box for d = 64, 512, 1000,
            // even with part boundaries on 64-byte lines and with the two parts run one after the
            // other on one thread: each part streams every row with gaps. See tests/TfFakeQuant.Benchmarks/PERFORMANCE.md.
            DriverKind.GradientColumns or DriverKind.GradientStream => 1,
            DriverKind.GradientRuns => Channels,
            _ => 1,
        };
        return (int)Math.Min((nuint)maxParts, Math.Max(1, units));
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> (each part's range is fixed by the shape).</summary>
    [SkipLocalsInit]
    public readonly void RunPart(int part, int parts)
    {
        switch (WidthBits)
        {
            case 512:
                RunPart<Simd512, Vector512<float>>(part, parts);
                break;
            case 256:
                RunPart<Simd256, Vector256<float>>(part, parts);
                break;
            case 128:
                RunPart<Simd128, Vector128<float>>(part, parts);
                break;
            default:
                RunPart<SimdScalar, float>(part, parts);
                break;
        }
    }

    [SkipLocalsInit]
    private readonly void RunPart<S, TV>(int part, int parts)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        switch (Kind)
        {
            case DriverKind.ForwardPattern:
            {
                (nuint s, nuint e) = Split(Elements, Period * Line, part, parts);
                switch ((Stream, Large))
                {
                    case (true, _):
                        ForwardPattern<S, TV, Yes, Yes>(s, e);
                        break;
                    case (false, true):
                        ForwardPattern<S, TV, No, Yes>(s, e);
                        break;
                    default:
                        ForwardPattern<S, TV, No, No>(s, e);
                        break;
                }

                break;
            }

            case DriverKind.BackpropPattern:
            {
                (nuint s, nuint e) = Split(Elements, Period * Line, part, parts);
                switch ((Stream, Large))
                {
                    case (true, _):
                        Driver<S, TV>.BackpropPattern<Yes, Yes>(ref *G, ref *X, ref *Out, s, e, ref *Table, Period, Lead);
                        break;
                    case (false, true):
                        Driver<S, TV>.BackpropPattern<No, Yes>(ref *G, ref *X, ref *Out, s, e, ref *Table, Period, Lead);
                        break;
                    default:
                        Driver<S, TV>.BackpropPattern<No, No>(ref *G, ref *X, ref *Out, s, e, ref *Table, Period, Lead);
                        break;
                }

                break;
            }

            case DriverKind.ForwardRows:
            {
                (nuint s, nuint e) = Split(Rows, 1, part, parts);
                switch ((Safe, Large))
                {
                    case (true, true):
                        Driver<S, TV>.ForwardRows<Yes, Yes>(ref *X, ref *Out, s, e, Channels, ref *Table);
                        break;
                    case (true, false):
                        Driver<S, TV>.ForwardRows<Yes, No>(ref *X, ref *Out, s, e, Channels, ref *Table);
                        break;
                    case (false, true):
                        Driver<S, TV>.ForwardRows<No, Yes>(ref *X, ref *Out, s, e, Channels, ref *Table);
                        break;
                    default:
                        Driver<S, TV>.ForwardRows<No, No>(ref *X, ref *Out, s, e, Channels, ref *Table);
                        break;
                }

                break;
            }

            case DriverKind.ForwardRuns:
            {
                (nuint s, nuint e) = Split(Rows * Channels, 1, part, parts);
                switch ((Safe, Large))
                {
                    case (true, true):
                        Driver<S, TV>.ForwardRuns<Yes, Yes>(ref *X, ref *Out, s, e, Channels, Inner, ref *Table);
                        break;
                    case (true, false):
                        Driver<S, TV>.ForwardRuns<Yes, No>(ref *X, ref *Out, s, e, Channels, Inner, ref *Table);
                        break;
                    case (false, true):
                        Driver<S, TV>.ForwardRuns<No, Yes>(ref *X, ref *Out, s, e, Channels, Inner, ref *Table);
                        break;
                    default:
                        Driver<S, TV>.ForwardRuns<No, No>(ref *X, ref *Out, s, e, Channels, Inner, ref *Table);
                        break;
                }

                break;
            }

            case DriverKind.GradientColumns:
            {
                (nuint s, nuint e) = parts == 1 ? (0, Channels) : ColumnSplit(part, parts);
                // Running sums for a block of channels: ColumnBlock on the stack, or the whole row
                // (up to StreamMaxChannels) in the thread's wide scratch.
                nuint block = Channels > (nuint)Driver<S, TV>.ColumnBlock && Channels <= (nuint)Driver<S, TV>.StreamMaxChannels
                    ? Channels : (nuint)Driver<S, TV>.ColumnBlock;
                float* raw = stackalloc float[(2 * Driver<S, TV>.ColumnBlock) + (int)Line];
                if (block > (nuint)Driver<S, TV>.ColumnBlock)
                {
                    raw = WideScratch((2 * block) + Line);
                }

                float* scratch = LineAligned(raw);
                switch ((AnyZeroRange, Large))
                {
                    case (true, true):
                        Driver<S, TV>.GradientColumns<Yes, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Rows, Channels, s, e, ref *Table, ref scratch[0], block, InPlace);
                        break;
                    case (true, false):
                        Driver<S, TV>.GradientColumns<Yes, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Rows, Channels, s, e, ref *Table, ref scratch[0], block, InPlace);
                        break;
                    case (false, true):
                        Driver<S, TV>.GradientColumns<No, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Rows, Channels, s, e, ref *Table, ref scratch[0], block, InPlace);
                        break;
                    default:
                        Driver<S, TV>.GradientColumns<No, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Rows, Channels, s, e, ref *Table, ref scratch[0], block, InPlace);
                        break;
                }

                break;
            }

            case DriverKind.GradientStream:
            {
                // The slot tables (5·d floats): on the stack up to ColumnBlock channels, beyond in the thread's wide scratch.
                float* raw = stackalloc float[(5 * Driver<S, TV>.ColumnBlock) + (int)Line];
                if (Channels > (nuint)Driver<S, TV>.ColumnBlock)
                {
                    raw = WideScratch((5 * Channels) + Line);
                }

                GradientStream<S, TV>(LineAligned(raw));
                break;
            }

            case DriverKind.GradientRounds:
            {
                float* raw = stackalloc float[Driver<S, TV>.RoundsArea];
                GradientRounds<S, TV>(LineAligned(raw));
                break;
            }

            case DriverKind.GradientPattern:
            {
                float* raw = stackalloc float[PatternArea.Allocation];
                GradientPattern<S, TV>(PatternArea.Align(raw));
                break;
            }

            case DriverKind.GradientRuns:
            {
                float* raw = stackalloc float[PatternArea.Allocation];
                float* area = PatternArea.Align(raw);
                (nuint s, nuint e) = Split(Channels, 1, part, parts);
                switch ((InPlace, Large, Stream))
                {
                    case (true, true, _):
                        Driver<S, TV>.GradientRuns<Yes, Yes, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                    case (true, false, _):
                        Driver<S, TV>.GradientRuns<Yes, No, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                    case (false, true, true):
                        Driver<S, TV>.GradientRuns<No, Yes, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                    case (false, false, true):
                        Driver<S, TV>.GradientRuns<No, No, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                    case (false, true, false):
                        Driver<S, TV>.GradientRuns<No, Yes, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                    default:
                        Driver<S, TV>.GradientRuns<No, No, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, RowStart, RowEnd, Channels, Inner, s, e, ref *Table, ref *area);
                        break;
                }

                break;
            }

            case DriverKind.GradientTree:
            {
                float* mine = Partials + ((nuint)part * PartFloats);
                Evaluate(Frontier[2 * part], Frontier[(2 * part) + 1], mine, mine + (2 * Channels));
                return; // each leaf fenced its own streamed stores
            }

            default:
                throw new InvalidOperationException($"Unknown driver {Kind}.");
        }

        if (Stream && Sse.IsSupported)
        {
            // Non-temporal stores are weakly ordered: make them visible before the part reports done.
            Sse.StoreFence();
        }
    }

    private readonly void GradientRounds<S, TV>(float* area)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        switch ((AnyZeroRange, Stream, Large))
        {
            case (true, true, _):
                Driver<S, TV>.GradientRounds<Yes, Yes, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
            case (true, false, true):
                Driver<S, TV>.GradientRounds<Yes, No, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
            case (true, false, false):
                Driver<S, TV>.GradientRounds<Yes, No, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
            case (false, true, _):
                Driver<S, TV>.GradientRounds<No, Yes, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
            case (false, false, true):
                Driver<S, TV>.GradientRounds<No, No, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
            default:
                Driver<S, TV>.GradientRounds<No, No, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, Period, ref *area);
                break;
        }
    }

    private readonly void GradientStream<S, TV>(float* scratch)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        if (AnyZeroRange)
        {
            GradientStream<S, TV, Yes>(scratch);
        }
        else
        {
            GradientStream<S, TV, No>(scratch);
        }
    }

    private readonly void GradientStream<S, TV, TZr>(float* scratch)
        where S : struct, ISimd<TV>
        where TV : struct
        where TZr : struct, IFlag
    {
        if (Stream)
        {
            GradientStream<S, TV, TZr, Yes>(scratch);
        }
        else
        {
            GradientStream<S, TV, TZr, No>(scratch);
        }
    }

    private readonly void GradientStream<S, TV, TZr, TStream>(float* scratch)
        where S : struct, ISimd<TV>
        where TV : struct
        where TZr : struct, IFlag
        where TStream : struct, IFlag
    {
        if (Large)
        {
            Driver<S, TV>.GradientStream<TZr, TStream, Yes>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, ref scratch[0]);
        }
        else
        {
            Driver<S, TV>.GradientStream<TZr, TStream, No>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels, Lead, ref *Table, ref scratch[0]);
        }
    }

    private readonly void GradientPattern<S, TV>(float* area)
        where S : struct, ISimd<TV>
        where TV : struct
    {
        switch ((AnyZeroRange, Channels > 1))
        {
            case (true, true):
                GradientPattern<S, TV, Yes, Yes>(area);
                break;
            case (true, false):
                GradientPattern<S, TV, Yes, No>(area);
                break;
            case (false, true):
                GradientPattern<S, TV, No, Yes>(area);
                break;
            default:
                GradientPattern<S, TV, No, No>(area);
                break;
        }
    }

    private readonly void GradientPattern<S, TV, TZr, TMulti>(float* area)
        where S : struct, ISimd<TV>
        where TV : struct
        where TZr : struct, IFlag
        where TMulti : struct, IFlag
    {
        // Streaming implies a large call, not in place (FastPath.Streams).
        switch ((Stream, InPlace, Large))
        {
            case (true, _, _):
                GradientPattern<S, TV, TZr, TMulti, Yes, No, Yes>(area);
                break;
            case (false, true, true):
                GradientPattern<S, TV, TZr, TMulti, No, Yes, Yes>(area);
                break;
            case (false, true, false):
                GradientPattern<S, TV, TZr, TMulti, No, Yes, No>(area);
                break;
            case (false, false, true):
                GradientPattern<S, TV, TZr, TMulti, No, No, Yes>(area);
                break;
            default:
                GradientPattern<S, TV, TZr, TMulti, No, No, No>(area);
                break;
        }
    }

    private readonly void GradientPattern<S, TV, TZr, TMulti, TStream, TInPlace, TPrefetch>(float* area)
        where S : struct, ISimd<TV>
        where TV : struct
        where TZr : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        Driver<S, TV>.GradientPattern<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref *G, ref *X, ref *Out, ref *SumMin, ref *SumMax, Elements, Channels,
            Lead, ref *Table, Period, ref *area);
    }

    private readonly void ForwardPattern<S, TV, TStream, TPrefetch>(nuint start, nuint end)
        where S : struct, ISimd<TV>
        where TV : struct
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        if (AnyZeroRange)
        {
            ForwardPattern<S, TV, Yes, TStream, TPrefetch>(start, end);
        }
        else
        {
            ForwardPattern<S, TV, No, TStream, TPrefetch>(start, end);
        }
    }

    private readonly void ForwardPattern<S, TV, TZr, TStream, TPrefetch>(nuint start, nuint end)
        where S : struct, ISimd<TV>
        where TV : struct
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        switch ((Safe, Divide))
        {
            case (true, true):
                Driver<S, TV>.ForwardPattern<Yes, Yes, TZr, TStream, TPrefetch>(ref *X, ref *Out, start, end, ref *Table, Period, Lead);
                break;
            case (true, false):
                Driver<S, TV>.ForwardPattern<Yes, No, TZr, TStream, TPrefetch>(ref *X, ref *Out, start, end, ref *Table, Period, Lead);
                break;
            case (false, true):
                Driver<S, TV>.ForwardPattern<No, Yes, TZr, TStream, TPrefetch>(ref *X, ref *Out, start, end, ref *Table, Period, Lead);
                break;
            default:
                Driver<S, TV>.ForwardPattern<No, No, TZr, TStream, TPrefetch>(ref *X, ref *Out, start, end, ref *Table, Period, Lead);
                break;
        }
    }

    /// <summary>
    /// The gradient of the <see cref="SumTree"/> subtree over units <c>[u0, u1)</c> of the
    /// transposed view <c>[Rows · Inner, Channels]</c>: every leaf's backprop, and the subtree's
    /// sums into <paramref name="sums"/> (min sums, then max sums, <see cref="Channels"/> each) —
    /// a leaf's from +0 by <see cref="LeafKind"/> on this thread, an inner node's its left sums
    /// plus its right sums (the right ones in <paramref name="scratch"/>, one such pair per level below).
    /// </summary>
    private readonly void Evaluate(nuint u0, nuint u1, float* sums, float* scratch)
    {
        long rows = (long)(Rows * Inner);
        if (SumTree.IsLeaf((long)u0, (long)u1, rows, (long)Channels))
        {
            RunLeaf((nuint)SumTree.RowOf((long)u0, rows), (nuint)SumTree.RowOf((long)u1, rows), sums);
            return;
        }

        nuint m = (nuint)SumTree.Mid((long)u0, (long)u1);
        Evaluate(u0, m, sums, scratch + (2 * Channels));
        Evaluate(m, u1, scratch, scratch + (2 * Channels));
        AddFlushed(sums, scratch, 2 * Channels);
    }

    /// <summary><see cref="Driver{S, TV}.AddFlushed"/> at the call's width: one node of the <see cref="SumTree"/>.</summary>
    public readonly void AddFlushed(float* sums, float* other, nuint n)
    {
        switch (WidthBits)
        {
            case 512:
                Driver<Simd512, Vector512<float>>.AddFlushed(ref *sums, ref *other, n);
                break;
            case 256:
                Driver<Simd256, Vector256<float>>.AddFlushed(ref *sums, ref *other, n);
                break;
            case 128:
                Driver<Simd128, Vector128<float>>.AddFlushed(ref *sums, ref *other, n);
                break;
            default:
                Driver<SimdScalar, float>.AddFlushed(ref *sums, ref *other, n);
                break;
        }
    }

    /// <summary>One <see cref="SumTree"/> leaf, rows <c>[r0, r1)</c> of the transposed view, run whole by <see cref="LeafKind"/> with its sums (min, then max) from +0.</summary>
    private readonly void RunLeaf(nuint r0, nuint r1, float* sums)
    {
        KernelRun leaf = this;
        leaf.Kind = LeafKind;
        leaf.SumMin = sums;
        leaf.SumMax = sums + Channels;
        new Span<float>(sums, (int)(2 * Channels)).Clear();
        if (LeafKind == DriverKind.GradientRuns)
        {
            leaf.RowStart = r0;
            leaf.RowEnd = r1;
        }
        else
        {
            // Channel last: the leaf is the tensor's rows [r0, r1) — 16k rows in, so its output keeps the call's alignment and lead.
            nuint offset = r0 * Channels;
            leaf.G += offset;
            leaf.X += offset;
            leaf.Out += offset;
            leaf.Rows = r1 - r0;
            leaf.Elements = leaf.Rows * Channels;
        }

        leaf.RunPart(0, 1);
    }

    /// <summary>
    /// Channel range of a part of the column-split gradient: boundaries at multiples of 16
    /// channels shifted so that they fall on 64-byte line boundaries of the backprop buffer
    /// (rows are whole lines here), so no cache line is written by two threads. Each channel's
    /// sums stay with one thread, in row order, whatever the split.
    /// </summary>
    private readonly (nuint Start, nuint End) ColumnSplit(int part, int parts)
    {
        nuint shift = (nuint)((64 - ((nint)Out & 63)) & 63) / sizeof(float);
        (nuint s, nuint e) = Split(Channels, Line, part, parts);
        s = part == 0 ? 0 : Math.Min(Channels, s + shift);
        e = part == parts - 1 ? Channels : Math.Min(Channels, e + shift);
        return (s, e);
    }

    /// <summary>
    /// The first 64-byte boundary in <paramref name="raw"/> (allocated <see cref="Line"/> floats longer):
    /// the column and stream drivers' slot tables are read and written a vector per slot, and a
    /// vector that straddles two lines costs two accesses (every 512-bit slot would, on a stack
    /// aligned to 8 or 16 bytes).
    /// </summary>
    private static float* LineAligned(float* raw) => (float*)(((nuint)raw + 63) & ~(nuint)63);

    /// <summary>This thread's scratch for rows too wide for the stack buffers (pinned; grown, never shrunk).</summary>
    [ThreadStatic]
    private static float[]? wideScratch;

    /// <summary>
    /// At least <paramref name="floats"/> floats of this thread's pinned wide scratch, for the
    /// stream and column gradients' tables when a row has more than
    /// <see cref="Driver{S, TV}.ColumnBlock"/> channels (at most 5 ·
    /// <see cref="Driver{S, TV}.StreamMaxChannels"/> + 16 floats). Allocated once per thread and
    /// size (on the pinned heap), so calls allocate nothing once warm; a kernel call never
    /// re-enters itself on a thread, so one scratch per thread is never shared.
    /// </summary>
    private static float* WideScratch(nuint floats)
    {
        float[]? scratch = wideScratch;
        if (scratch is null || (nuint)scratch.Length < floats)
        {
            scratch = GC.AllocateUninitializedArray<float>((int)floats, pinned: true);
            wideScratch = scratch;
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch));
    }

    /// <summary>
    /// <c>[start, end)</c> of part <paramref name="part"/>: <paramref name="count"/> items cut into
    /// <paramref name="parts"/> nearly equal pieces whose boundaries are multiples of
    /// <paramref name="unit"/> (the last piece takes the rest).
    /// </summary>
    private static (nuint Start, nuint End) Split(nuint count, nuint unit, int part, int parts)
    {
        nuint units = (count + unit - 1) / unit;
        nuint start = Math.Min(count, units * (nuint)part / (nuint)parts * unit);
        nuint end = part == parts - 1 ? count : Math.Min(count, units * (nuint)(part + 1) / (nuint)parts * unit);
        return (start, end);
    }
}
