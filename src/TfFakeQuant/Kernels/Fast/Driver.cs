using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// The vectorized drivers, written once for any lane count <c>W = S.Count</c> (16, 8, 4 or 1).
/// Every element goes through exactly the float operations of <see cref="FakeQuantReference"/>,
/// in the same order, each result flushed with <c>S.Flush</c> where the reference flushes; masks
/// are turned into <c>1f / +0f</c> (<c>mask &amp; 1f</c>) and applied by multiplication, as the
/// reference does. Remainders always go through the <em>same</em> inline element functions
/// instantiated with <see cref="SimdScalar"/> (one lane), so the tail is the scalar reference.
/// </summary>
/// <remarks>
/// Products <c>g * mask</c> are not flushed: <c>g</c> is already flushed (0 or |g| ≥ 2^-126, or
/// Inf/NaN) and the mask is 0 or 1, so the product is <c>g</c>, ±0 or NaN, never subnormal
/// (the reference's flush of it is a no-op). All other flushes are kept.
/// </remarks>
/// <typeparam name="S">The lane operations.</typeparam>
/// <typeparam name="TV">The vector type.</typeparam>
internal static class Driver<S, TV>
    where S : struct, ISimd<TV>
    where TV : struct
{
    /// <summary>
    /// The attributes of every driver loop: always fully optimized, and never inlined. Each loop
    /// inlines a deep tree of small lane operations; inlined into its caller, it would spend that
    /// caller's inlining budget, and once the budget runs out the JIT stops inlining even
    /// <c>AggressiveInlining</c> callees — it did: the forward's per-vector <c>Quantize</c> became a
    /// call (seven vectors through the stack) in the tier-1 code of the one driver instantiation
    /// that the dispatcher had inlined, the common one, so a cached 4096-element forward took 4.8 µs.
    /// </summary>
    private const MethodImplOptions EntryPoint = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>Elements per gradient tile (buffers of this many floats live on the stack).</summary>
    public const int Tile = 2048;

    /// <summary>Channels per block of the row-major gradient (its scratch is 2 × this many floats; a multiple of 16).</summary>
    public const int ColumnBlock = 1024;

    /// <summary>
    /// Most channels for <see cref="GradientStream"/> (W dividing d): its slot tables take 5·d
    /// floats, on the stack up to <see cref="ColumnBlock"/> channels and beyond in the thread's
    /// pinned wide scratch (<c>KernelRun.WideScratch</c>; 1.25 MiB at this bound). Wider rows go
    /// to <see cref="GradientColumns"/>, whose whole-row sums use the same scratch up to this bound.
    /// </summary>
    public const int StreamMaxChannels = 1 << 16;

    // ---------------------------------------------------------------- element functions

    /// <summary>
    /// Forward of one vector. Lane = one element; <paramref name="nmin"/> .. <paramref name="zr"/>
    /// hold the constants of that element's channel. Clamp is Eigen's <c>min(x, hi)</c> then
    /// <c>max(., lo)</c>, i.e. <c>t = hi &lt; x ? hi : x</c>, <c>c = lo &gt; t ? lo : t</c>
    /// (<see cref="ISimd{TV}.LessOf"/> / <see cref="ISimd{TV}.GreaterOf"/>: a NaN x stays NaN and lo
    /// wins when lo &gt; hi). Zero-range lanes give +0 (<c>y &amp; ~zr</c>; skipped on the safe path
    /// when the call has no zero range, <typeparamref name="TZr"/> off). <typeparamref name="TDivide"/>:
    /// <c>(c - nmin) / scale</c> (the per-tensor Vars op) instead of <c>* inv</c>.
    /// </summary>
    /// <remarks>
    /// <para>Without <typeparamref name="TSafe"/> every value is flushed where the reference flushes it.</para>
    /// <para>
    /// With <typeparamref name="TSafe"/> (every channel of the call is a zero range or has
    /// <c>2^-30 ≤ scale ≤ 2^30</c>, checked once per call by <see cref="ChannelTable.IsSafeForward"/>)
    /// no flush can change the result, so none is done. Facts used: the nudged bounds satisfy
    /// nmin ≤ 0 ≤ nmax and are 0 or an integer times scale, hence 0 or of magnitude ≥ 2^-31;
    /// <c>inv ≥ 2^-31</c>; nmin = 0 implies qz = 0 (<c>floor(-0·inv + 0.5)</c>). Subnormal
    /// inputs stay below 2^-126; NaN/Inf are never touched by a flush.
    /// (1) <b>x.</b> If nmin &lt; 0 a subnormal x clamps to itself or to nmax = 0 exactly as ±0 does
    /// (nmax &lt; x ⟺ nmax &lt; flushed x for nmax = 0 only when x &gt; 0, giving nmax = +0 in both),
    /// and <c>x - nmin</c> rounds to <c>-nmin</c> because |x| &lt; 2^-126 is far below half an ulp of
    /// |nmin| ≥ 2^-31 — the same as <c>±0 - nmin</c>. If nmin = 0 (so qz = 0) a subnormal x gives
    /// <c>cs ∈ {±0, x}</c>, then <c>u = cs·inv</c> with 0 ≤ u &lt; 2^-95, <c>u - 0 + 0.5 = 0.5</c>
    /// exactly and <c>floor(0.5)·scale = +0</c>: the flushed input gives +0 too.
    /// (2) <b>cs = c - nmin.</b> With nmin = 0 it is c (0, normal, or case 1). Otherwise a nonzero
    /// |cs| &lt; 2^-126 needs |c| &gt; 2^-31 - 2^-126, making both operands multiples of 2^-54, so
    /// cs is 0 or ≥ 2^-54.
    /// (3) <b>u = cs·inv</b> (or cs / scale): 0, ≥ 2^-54·2^-31 (normal), or case 1's &lt; 2^-95
    /// with nmin = 0, which ends as +0 whether flushed or not (as in case 1).
    /// (4) <b>a = u - qz</b>: qz = 0 gives u; otherwise qz ≥ 1, and a tiny nonzero a needs
    /// u ≥ 0.5, both multiples of 2^-25. (5) <b>a + 0.5</b>: a tiny result needs a ≈ -0.5, a
    /// multiple of 2^-26. (6) <b>floor(.)·scale</b>: 0 or an integer ≥ 1 times scale ≥ 2^-30.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Quantize<TSafe, TDivide, TZr>(TV x, TV nmin, TV nmax, TV inv, TV scale, TV qz, TV zr)
        where TSafe : struct, IFlag
        where TDivide : struct, IFlag
        where TZr : struct, IFlag
    {
        TV half = S.Broadcast(0.5f);
        if (TSafe.Value)
        {
            TV cs = S.Subtract(S.GreaterOf(nmin, S.LessOf(nmax, x)), nmin);
            TV u = TDivide.Value ? S.Divide(cs, scale) : S.Multiply(cs, inv);
            TV y = S.Multiply(S.Floor(S.Add(S.Subtract(u, qz), half)), scale);
            return TZr.Value ? S.AndNot(y, zr) : y;
        }

        TV csf = S.Flush(S.Subtract(S.GreaterOf(nmin, S.LessOf(nmax, S.Flush(x))), nmin));
        TV uf = S.Flush(TDivide.Value ? S.Divide(csf, scale) : S.Multiply(csf, inv));
        TV shifted = S.Flush(S.Add(S.Flush(S.Subtract(uf, qz)), half));
        return S.AndNot(S.Flush(S.Multiply(S.Floor(shifted), scale)), zr);
    }

    /// <summary>
    /// Gradient of one vector. Lane = one element. Masks: <c>inside = (nmin ≤ x) &amp; (x ≤ nmax)</c>,
    /// <c>below = x &lt; nmin</c>, <c>above = nmax &lt; x</c> (NaN: all false). x is compared
    /// unflushed against the DAZ-adjusted bounds of <see cref="ChannelTable.AdjustForDaz"/>, which
    /// gives exactly the comparisons of flushed x against the nudged bounds. Each mask is
    /// <c>&amp; 1f</c> and multiplied into flushed g (so -g gives -0, NaN/Inf g gives NaN where
    /// excluded). Zero-range lanes: the raw gradient is passed through and both sum terms are +0
    /// (adding +0 to a sum that starts at +0 keeps it +0, as the reference's untouched sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Gradient(TV g, TV x, TV nmin, TV nmax, TV zr, out TV belowTerm, out TV aboveTerm)
    {
        TV one = S.Broadcast(1f);
        TV gf = S.Flush(g);
        TV xf = x;
        TV inside = S.And(S.LessThanOrEqual(nmin, xf), S.LessThanOrEqual(xf, nmax));
        belowTerm = S.AndNot(S.Multiply(gf, S.And(S.LessThan(xf, nmin), one)), zr);
        aboveTerm = S.AndNot(S.Multiply(gf, S.And(S.LessThan(nmax, xf), one)), zr);
        return S.Select(zr, g, S.Multiply(gf, S.And(inside, one)));
    }

    /// <summary>
    /// One vector of the channel-last gradient with its two running sums: returns the input
    /// backprop and sets <c>sMin = flush(sMin + below)</c>, <c>sMax = flush(sMax + above)</c>, as
    /// <see cref="Gradient"/> and the reference do.
    /// </summary>
    /// <remarks>
    /// When the call has no zero-range channel (<typeparamref name="TZr"/> off) and no lane of g
    /// has <c>0 &lt; |g| &lt; 2^-102</c> (<see cref="ISimd{TV}.AnySmallNonZero(TV)"/>; one compare pair and
    /// a test per vector, the branch almost never taken), all three flushes are idle and skipped:
    /// g is not subnormal, so <c>flush(g) = g</c>; each term is ±0, g or NaN; and the running sums
    /// (0 or normal, by induction) plus such a term are never a nonzero subnormal — for ±0 the sum
    /// is s or ±0, and for <c>|t| ≥ 2^-102</c> a result below 2^-126 would need <c>|s| &gt; 2^-103</c>,
    /// making s, t and their sum integer multiples of 2^-126, so the result is 0 or normal
    /// (<see cref="Subnormals.GradientSafeMagnitude"/>). Otherwise the vector takes the exact path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GradientStep<TZr>(TV g, TV x, TV nmin, TV nmax, TV zr, ref TV sMin, ref TV sMax)
        where TZr : struct, IFlag
    {
        return TZr.Value || S.AnySmallNonZero(g)
            ? GradientStepExact(g, x, nmin, nmax, zr, ref sMin, ref sMax)
            : GradientStepFast(g, x, nmin, nmax, ref sMin, ref sMax);
    }

    /// <summary><see cref="GradientStep{TZr}"/> without a flush, for a vector its remarks clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV GradientStepFast(TV g, TV x, TV nmin, TV nmax, ref TV sMin, ref TV sMax)
    {
        TV one = S.Broadcast(1f), excluded = S.Multiply(g, default);
        sMin = S.Add(sMin, S.Select(S.LessThan(x, nmin), g, excluded));
        sMax = S.Add(sMax, S.Select(S.LessThan(nmax, x), g, excluded));

        return S.Multiply(g, S.And(S.And(S.LessThanOrEqual(nmin, x), S.LessThanOrEqual(x, nmax)), one));
    }

    /// <summary><see cref="GradientStep{TZr}"/> with every flush.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV GradientStepExact(TV g, TV x, TV nmin, TV nmax, TV zr, ref TV sMin, ref TV sMax)
    {
        TV b = Gradient(g, x, nmin, nmax, zr, out TV below, out TV above);
        sMin = S.Flush(S.Add(sMin, below));
        sMax = S.Flush(S.Add(sMax, above));

        return b;
    }

    /// <summary>Stores one output vector: non-temporally under <typeparamref name="TStream"/> (the index is then vector-aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TStream>(TV value, ref float destination, nuint index)
        where TStream : struct, IFlag
    {
        if (TStream.Value)
        {
            S.StoreStream(value, ref destination, index);
        }
        else
        {
            S.Store(value, ref destination, index);
        }
    }

    // ---------------------------------------------------------------- forward

    /// <summary>
    /// Forward over elements <c>[start, end)</c> of a stream whose constants repeat with
    /// <paramref name="period"/> (a multiple of W; <paramref name="start"/> a multiple of it).
    /// The first <paramref name="lead"/> (&lt; W) elements go one lane at a time, so that the
    /// vectors start where the output is vector-aligned (needed by <typeparamref name="TStream"/>);
    /// the table is rotated by <paramref name="lead"/> (see <see cref="ChannelTable"/>), so lead element j uses entry <c>period - lead + j</c> and lane i of the v-th vector entry
    /// <c>(v·W + i) mod period</c>. The remainder (&lt; W elements) continues the same phase one
    /// lane at a time. Used for per-tensor ops (period W) and per-channel with small <c>lcm(d, W)</c>
    /// or with W dividing d up to <see cref="StreamMaxChannels"/> (period d).
    /// </summary>
    [MethodImpl(EntryPoint)]
    public static void ForwardPattern<TSafe, TDivide, TZr, TStream, TPrefetch>(ref float x, ref float y, nuint start, nuint end, ref float table, nuint period, nuint lead)
        where TSafe : struct, IFlag
        where TDivide : struct, IFlag
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * period);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * period);
        ref float tInv = ref Unsafe.Add(ref table, ChannelTable.InvScale * period);
        ref float tScale = ref Unsafe.Add(ref table, ChannelTable.Scale * period);
        ref float tQz = ref Unsafe.Add(ref table, ChannelTable.QuantZero * period);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * period);
        nuint k = start;
        for (nuint e = period - lead; e < period && k < end; e++, k++)
        {
            Driver<SimdScalar, float>.ForwardEntry<TSafe, TDivide, TZr, No>(ref x, ref y, k, e, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
        }

        nuint p = 0;
        if (period == w)
        {
            // One channel per lane position never changes: hoist the constants.
            TV nmin = S.Load(ref tMin, 0), nmax = S.Load(ref tMax, 0), inv = S.Load(ref tInv, 0);
            TV scale = S.Load(ref tScale, 0), qz = S.Load(ref tQz, 0), zr = S.Load(ref tZr, 0);
            for (; k + w <= end; k += w)
            {
                Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
                Put<TStream>(Quantize<TSafe, TDivide, TZr>(S.Load(ref x, k), nmin, nmax, inv, scale, qz, zr), ref y, k);
            }
        }
        else
        {
            // Whole periods (entries 0 .. period-1, no wrap test), then the whole vectors of the last partial one.
            for (; k + period <= end; k += period)
            {
                for (nuint q = 0; q < period; q += w)
                {
                    Prefetch<TPrefetch>(ref x, k + q + PrefetchDistance);
                    ForwardEntry<TSafe, TDivide, TZr, TStream>(ref x, ref y, k + q, q, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
                }
            }

            for (; k + w <= end; k += w, p += w)
            {
                ForwardEntry<TSafe, TDivide, TZr, TStream>(ref x, ref y, k, p, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
            }
        }

        for (; k < end; k++, p++)
        {
            Driver<SimdScalar, float>.ForwardEntry<TSafe, TDivide, TZr, No>(ref x, ref y, k, p, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
        }
    }

    /// <summary>
    /// The vector at element <paramref name="k"/> of a forward stream with table entries
    /// <paramref name="e"/> .. e + W - 1 (one element for the one-lane instantiation, which the
    /// drivers use for their lead and tail elements).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardEntry<TSafe, TDivide, TZr, TStream>(ref float x, ref float y, nuint k, nuint e,
        ref float tMin, ref float tMax, ref float tInv, ref float tScale, ref float tQz, ref float tZr)
        where TSafe : struct, IFlag
        where TDivide : struct, IFlag
        where TZr : struct, IFlag
        where TStream : struct, IFlag
    {
        TV v = Quantize<TSafe, TDivide, TZr>(S.Load(ref x, k), S.Load(ref tMin, e), S.Load(ref tMax, e), S.Load(ref tInv, e),
            S.Load(ref tScale, e), S.Load(ref tQz, e), TZr.Value ? S.Load(ref tZr, e) : default);
        Put<TStream>(v, ref y, k);
    }

    /// <summary>
    /// Per-channel forward over rows <c>[row0, row1)</c> of a <c>[rows, d]</c> matrix when the pattern
    /// period would be too long: per row, lane = channel for <c>⌊d/W⌋</c> whole vectors (constants
    /// loaded at the channel offset of a period-<c>d</c> table), then the last <c>d mod W</c> channels
    /// one lane at a time (no overlapping vector: in place, that would re-read written outputs).
    /// </summary>
    [MethodImpl(EntryPoint)]
    public static void ForwardRows<TSafe, TPrefetch>(ref float x, ref float y, nuint row0, nuint row1, nuint d, ref float table)
        where TSafe : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * d);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * d);
        ref float tInv = ref Unsafe.Add(ref table, ChannelTable.InvScale * d);
        ref float tScale = ref Unsafe.Add(ref table, ChannelTable.Scale * d);
        ref float tQz = ref Unsafe.Add(ref table, ChannelTable.QuantZero * d);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * d);
        for (nuint r = row0; r < row1; r++)
        {
            ref float xr = ref Unsafe.Add(ref x, r * d);
            ref float yr = ref Unsafe.Add(ref y, r * d);
            nuint c = 0;
            for (; c + w <= d; c += w)
            {
                Prefetch<TPrefetch>(ref xr, c + PrefetchDistance);
                ForwardEntry<TSafe, No, Yes, No>(ref xr, ref yr, c, c, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
            }

            for (; c < d; c++)
            {
                Driver<SimdScalar, float>.ForwardEntry<TSafe, No, Yes, No>(ref xr, ref yr, c, c, ref tMin, ref tMax, ref tInv, ref tScale, ref tQz, ref tZr);
            }
        }
    }

    /// <summary>
    /// Per-channel forward with the channel on an inner axis: the data is <c>[outer, C, inner]</c>
    /// and run <c>q = o·C + c</c> (<c>inner</c> contiguous elements) belongs to channel <c>q mod C</c>.
    /// Lane = element of a run; the channel's constants are broadcast; scalar remainder per run.
    /// </summary>
    [MethodImpl(EntryPoint)]
    public static void ForwardRuns<TSafe, TPrefetch>(ref float x, ref float y, nuint run0, nuint run1, nuint channels, nuint inner, ref float table)
        where TSafe : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        for (nuint q = run0; q < run1; q++)
        {
            nuint c = q % channels;
            float sMin = Unsafe.Add(ref table, (ChannelTable.NudgedMin * channels) + c);
            float sMax = Unsafe.Add(ref table, (ChannelTable.NudgedMax * channels) + c);
            float sInv = Unsafe.Add(ref table, (ChannelTable.InvScale * channels) + c);
            float sScale = Unsafe.Add(ref table, (ChannelTable.Scale * channels) + c);
            float sQz = Unsafe.Add(ref table, (ChannelTable.QuantZero * channels) + c);
            float sZr = Unsafe.Add(ref table, (ChannelTable.ZeroRange * channels) + c);
            TV nmin = S.Broadcast(sMin), nmax = S.Broadcast(sMax), inv = S.Broadcast(sInv);
            TV scale = S.Broadcast(sScale), qz = S.Broadcast(sQz), zr = S.Broadcast(sZr);
            ref float xr = ref Unsafe.Add(ref x, q * inner);
            ref float yr = ref Unsafe.Add(ref y, q * inner);
            nuint i = 0;
            for (; i + w <= inner; i += w)
            {
                Prefetch<TPrefetch>(ref xr, i + PrefetchDistance);
                S.Store(Quantize<TSafe, No, Yes>(S.Load(ref xr, i), nmin, nmax, inv, scale, qz, zr), ref yr, i);
            }

            for (; i < inner; i++)
            {
                Unsafe.Add(ref yr, i) = Driver<SimdScalar, float>.Quantize<TSafe, No, Yes>(Unsafe.Add(ref xr, i), sMin, sMax, sInv, sScale, sQz, sZr);
            }
        }
    }

    // ---------------------------------------------------------------- gradients

    /// <summary>
    /// Input backprop only (ArgsGradient) over <c>[start, end)</c>, constants with
    /// <paramref name="period"/> as in <see cref="ForwardPattern"/>.
    /// </summary>
    [MethodImpl(EntryPoint)]
    public static void BackpropPattern<TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint start, nuint end, ref float table, nuint period, nuint lead)
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * period);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * period);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * period);
        TV nmin = S.Load(ref tMin, 0), nmax = S.Load(ref tMax, 0), zr = S.Load(ref tZr, 0);
        nuint k = start;
        for (nuint e = 0; e < lead && k < end; e++, k++)
        {
            Unsafe.Add(ref bp, k) = Driver<SimdScalar, float>.Gradient(Unsafe.Add(ref g, k), Unsafe.Add(ref x, k),
                Unsafe.Add(ref tMin, e), Unsafe.Add(ref tMax, e), Unsafe.Add(ref tZr, e), out _, out _);
        }

        for (; k + w <= end; k += w)
        {
            Prefetch<TPrefetch>(ref g, k + PrefetchDistance);
            Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
            Put<TStream>(Gradient(S.Load(ref g, k), S.Load(ref x, k), nmin, nmax, zr, out _, out _), ref bp, k);
        }

        for (nuint p = 0; k < end; k++, p++)
        {
            Unsafe.Add(ref bp, k) = Driver<SimdScalar, float>.Gradient(Unsafe.Add(ref g, k), Unsafe.Add(ref x, k),
                Unsafe.Add(ref tMin, p), Unsafe.Add(ref tMax, p), Unsafe.Add(ref tZr, p), out _, out _);
        }
    }

    /// <summary>
    /// Per-channel gradient, channel last, d a multiple of W and at most <see cref="StreamMaxChannels"/>:
    /// the flattened <c>[rows, d]</c> data as one stream in memory order, lane = channel. The first
    /// <paramref name="lead"/> (&lt; W) elements (row 0, channels 0 .. lead-1) go one lane at a
    /// time so that the vectors start where the backprop is vector-aligned (for
    /// <typeparamref name="TStream"/>); from there, element <c>lead + v·W + i</c> belongs to channel
    /// <c>(lead + v·W + i) mod d</c>, i.e. to slot <c>(v·W + i) mod d</c> of the channel constants
    /// and running sums rotated by <paramref name="lead"/> (both copied into
    /// <paramref name="scratch"/>: rotated bounds, zero-range masks, min sums, max sums, d floats
    /// each). Since W divides d, a channel always meets the same slot and lane, and its terms
    /// arrive in row order — the reference's chain <c>s = flush(s + term)</c> over rows 0, 1, 2, …,
    /// bitwise. The sums go back unrotated at the end.
    /// </summary>
    /// <remarks>
    /// One thread per call (a <see cref="SumTree"/> leaf; threads take whole subtrees). Splitting
    /// the channels between threads (exact) was measured 3× slower, even with the parts run one
    /// after the other (each part streams every row with gaps); splitting by role (one thread all
    /// the sums in row order, the other all the backprop, following it through the caches)
    /// measured 0.8-1.05× of one thread: a sums-only pass alone streams g and x no faster than
    /// the whole step. See tests/TfFakeQuant.Benchmarks/PERFORMANCE.md.
    /// </remarks>
    [MethodImpl(EntryPoint)]
    public static void GradientStream<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint n, nuint d, nuint lead, ref float table, ref float scratch)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * d);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * d);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * d);
        ref float rMin = ref scratch;
        ref float rMax = ref Unsafe.Add(ref scratch, d);
        ref float rZr = ref Unsafe.Add(ref scratch, 2 * d);
        ref float aMin = ref Unsafe.Add(ref scratch, 3 * d);
        ref float aMax = ref Unsafe.Add(ref scratch, 4 * d);
        if (lead == 0)
        {
            // Not rotated (a call that does not stream): plain copies.
            CopyFloats(ref rMin, ref tMin, d);
            CopyFloats(ref rMax, ref tMax, d);
            CopyFloats(ref rZr, ref tZr, d);
            CopyFloats(ref aMin, ref sumMin, d);
            CopyFloats(ref aMax, ref sumMax, d);
        }
        else
        {
            for (nuint j = 0; j < d; j++)
            {
                nuint c = Rotate(j, lead, d);
                Unsafe.Add(ref rMin, j) = Unsafe.Add(ref tMin, c);
                Unsafe.Add(ref rMax, j) = Unsafe.Add(ref tMax, c);
                Unsafe.Add(ref rZr, j) = Unsafe.Add(ref tZr, c);
                Unsafe.Add(ref aMin, j) = Unsafe.Add(ref sumMin, c);
                Unsafe.Add(ref aMax, j) = Unsafe.Add(ref sumMax, c);
            }
        }

        nuint k = Math.Min(lead, n);
        Driver<SimdScalar, float>.GradientSlotsScalar<TZr>(ref g, ref x, ref bp, 0, k, d - lead, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);

        // Blocks of whole cycles (about 16K elements: 64 KiB of each operand) between handoffs.
        nuint blockCycles = Math.Max(1, (nuint)16384 / d);
        nuint p = 0;
        if (d == w)
        {
            // One slot: the two running sums stay in registers.
            TV nmin = S.Load(ref rMin, 0), nmax = S.Load(ref rMax, 0), zr = TZr.Value ? S.Load(ref rZr, 0) : default;
            TV sMin = S.Load(ref aMin, 0), sMax = S.Load(ref aMax, 0);
            while (k + w <= n)
            {
                nuint end = k + (Math.Min(blockCycles, (n - k) / w) * w);
                for (; k + (2 * w) <= end; k += 2 * w)
                {
                    // Two rows per iteration (in order: the chain is one slot): one test for both.
                    Prefetch<TPrefetch>(ref g, k + PrefetchDistance);
                    Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
                    TV g0 = S.Load(ref g, k), x0 = S.Load(ref x, k), g1 = S.Load(ref g, k + w), x1 = S.Load(ref x, k + w);
                    TV b0, b1;
                    if (TZr.Value || S.AnySmallNonZero(g0, g1))
                    {
                        b0 = GradientStepExact(g0, x0, nmin, nmax, zr, ref sMin, ref sMax);
                        b1 = GradientStepExact(g1, x1, nmin, nmax, zr, ref sMin, ref sMax);
                    }
                    else
                    {
                        b0 = GradientStepFast(g0, x0, nmin, nmax, ref sMin, ref sMax);
                        b1 = GradientStepFast(g1, x1, nmin, nmax, ref sMin, ref sMax);
                    }

                    Put<TStream>(b0, ref bp, k);
                    Put<TStream>(b1, ref bp, k + w);
                }

                for (; k < end; k += w)
                {
                    Put<TStream>(GradientStep<TZr>(S.Load(ref g, k), S.Load(ref x, k), nmin, nmax, zr, ref sMin, ref sMax), ref bp, k);
                }
            }

            S.Store(sMin, ref aMin, 0);
            S.Store(sMax, ref aMax, 0);
        }
        else
        {
            // Each slot's sums make an independent chain through L1, revisited every d/W vectors,
            // so the load-add-store latency of one overlaps the others'. Whole cycles of d
            // elements (slots 0 .. d-1), then the whole vectors of the last partial cycle.
            while (k + d <= n)
            {
                nuint end = k + (Math.Min(blockCycles, (n - k) / d) * d);
                // Short rows: two cycles (rows) at a time, each slot's sums and bounds loaded once
                // for two vectors, the earlier row's term added first. Measured (quick mode) 0.66-0.73
                // → 0.82-0.93 of the yardstick at d = 64; slower from d = 128 on (TwoRowLimit),
                // whose rows keep the slot pairs below.
                if (d <= TwoRowLimit)
                {
                    k = StreamRowPairs<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k, end, d, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
                }

                StreamRows<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k, end, d, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
                k = end;
            }

            for (; k + w <= n; k += w, p += w)
            {
                GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k, p, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            }
        }

        Driver<SimdScalar, float>.GradientSlotsScalar<TZr>(ref g, ref x, ref bp, k, n, p, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);

        if (lead == 0)
        {
            CopyFloats(ref sumMin, ref aMin, d);
            CopyFloats(ref sumMax, ref aMax, d);
            return;
        }

        for (nuint j = 0; j < d; j++)
        {
            nuint c = Rotate(j, lead, d);
            Unsafe.Add(ref sumMin, c) = Unsafe.Add(ref aMin, j);
            Unsafe.Add(ref sumMax, c) = Unsafe.Add(ref aMax, j);
        }
    }

    /// <summary>Copies <paramref name="count"/> floats (the ranges do not overlap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyFloats(ref float destination, ref float source, nuint count) =>
        Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref destination), ref Unsafe.As<float, byte>(ref source), checked((uint)(count * sizeof(float))));

    /// <summary>
    /// The cycles of <see cref="GradientStream"/> from element <paramref name="k"/> (a cycle start)
    /// two at a time while two fit before <paramref name="end"/> (<see cref="GradientSlotRows"/>);
    /// returns where it stopped. Its own loop, out of line: inlined into the driver with the other
    /// loops, the JIT kept the slot tables' addresses on the stack and reloaded them every vector.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static nuint StreamRowPairs<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint k, nuint end, nuint d,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        for (; k + (2 * d) <= end; k += 2 * d)
        {
            for (nuint q = 0; q < d; q += (nuint)S.Count)
            {
                GradientSlotRows<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k + q, d, q, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            }
        }

        return k;
    }

    /// <summary>
    /// The cycles of <see cref="GradientStream"/> from element <paramref name="k"/> (a cycle start)
    /// to <paramref name="end"/> (a cycle end), two vectors at a time (<see cref="GradientSlotPair"/>);
    /// out of line as <see cref="StreamRowPairs"/>.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static void StreamRows<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint k, nuint end, nuint d,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        for (; k < end; k += d)
        {
            nuint q = 0;
            for (; q + (2 * w) <= d; q += 2 * w)
            {
                GradientSlotPair<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k + q, q, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            }

            if (q < d)
            {
                GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k + q, q, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            }
        }
    }

    /// <summary>
    /// Elements ahead (2 KiB) that the gradient stream prefetches g and x, into L2 (prefetcht1:
    /// L1 keeps the slot tables and sums, up to 20 KiB at d = 1000), in calls beyond the L3
    /// (the <c>TPrefetch</c> flag of <see cref="GradientStream"/>): the loop body is long
    /// enough that the out-of-order window alone keeps few loads in flight. Measured by
    /// alternating builds (quick mode, four pairs of runs): with it 2097152×8 0.87-0.93 of the
    /// yardstick against 0.80-0.82 without, 32768×512 0.78-0.82 against 0.70-0.79; on the
    /// cache-resident [3,3,256,512] it cost instructions for nothing (0.44-0.55 against 0.52-0.60).
    /// The pattern gradient's pass 1 (<c>PatternRun</c>) prefetches the same way, on the same
    /// condition: alternating builds, four runs each, 4194304×1 0.69 → 0.81-0.85 of the
    /// yardstick (median), 1398101×3 0.56 → 0.58-0.62, 599186×7 0.52 → 0.56-0.59; on cached
    /// 65536×1 it cost ~7 % (31.5 → 33.8 µs, best of five). The elementwise pattern drivers
    /// (<see cref="ForwardPattern"/>, <see cref="BackpropPattern"/>) prefetch their inputs the
    /// same way beyond the L3, streamed or in place (fifth session; memory here is in 4 KiB
    /// pages, at whose boundaries the hardware prefetchers stop): quick mode, alternating
    /// builds, eight rounds over eight shapes,
    /// medians of the one-thread forward ratio rose on every shape, e.g. 2097152×8 1.15 → 1.26,
    /// 262144×64 0.96 → 1.05, 16384×1000 0.94 → 1.01, 4194304×1 0.93 → 1.01; a 16M-element
    /// ArgsGradient (three alternating runs) 0.78-0.88 → 0.89-0.93 of the yardstick on one
    /// thread, and 1.02-1.22 → 1.29-1.39 of the one-thread yardstick on two. So do
    /// <see cref="ForwardRows"/> and <see cref="ForwardRuns"/> beyond the L3 (four rounds, medians:
    /// one thread unchanged, two threads [32,64,56,56] axis 1 1.00 → 1.06, [32,56,56,64] axis 0
    /// 0.84 → 0.96, 8192×2048 0.59 → 0.74). In place (no streaming), 16M elements, one thread,
    /// six alternating runs, medians: Args 9.88 → 7.89 ms, ArgsGradient 15.2 → 13.1 ms.
    /// </summary>
    private const nuint PrefetchDistance = 512;

    /// <summary>
    /// Largest d for which <see cref="GradientStream"/> and the row-major walk of
    /// <see cref="GradientColumns"/> go two rows at a time. Seventh session, for the stream,
    /// one thread, alternating builds (row pairs up to 256 against slot pairs above this bound),
    /// ratio to the yardstick: 16M elements d = 128 0.70 → 0.82, d = 256 0.56 → 0.78; cached 262K
    /// elements d = 128 0.37 → 0.44, d = 256 0.39 → 0.52. Row pairs stay ahead at d = 16, 32, 64
    /// (16M: 0.81 against 0.85, 0.80 against 0.86, 0.81 against 0.90 without them) and level at d = 96.
    /// </summary>
    private const nuint TwoRowLimit = 96;

    /// <summary>A hint to bring the line holding <c>p[index]</c> into L2 (never faults, even past the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch<TPrefetch>(ref float p, nuint index)
        where TPrefetch : struct, IFlag
    {
        if (TPrefetch.Value && Sse.IsSupported)
        {
            Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref p, index)));
        }
    }

    /// <summary>The channel of slot <paramref name="j"/> of a stream rotated by <paramref name="lead"/>: <c>(j + lead) mod d</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Rotate(nuint j, nuint lead, nuint d) => j + lead < d ? j + lead : j + lead - d;

    /// <summary>
    /// The same slots <paramref name="j"/> .. j + W - 1 of two consecutive cycles of
    /// <see cref="GradientStream"/> (elements <paramref name="k"/> and k + <paramref name="d"/>):
    /// one chain per lane, so the first row's terms are added before the second's; one
    /// small-gradient test for both. Also the row pairs of <see cref="ColumnRowPairs"/>, whose
    /// tables are indexed by channel (slot j = channel j).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientSlotRows<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint k, nuint d, nuint j,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        TV g0 = S.Load(ref g, k), g1 = S.Load(ref g, k + d);
        if (TZr.Value || S.AnySmallNonZero(g0, g1))
        {
            GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k, j, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k + d, j, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            return;
        }

        Prefetch<TPrefetch>(ref g, k + PrefetchDistance);
        Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
        Prefetch<TPrefetch>(ref g, k + d + PrefetchDistance);
        Prefetch<TPrefetch>(ref x, k + d + PrefetchDistance);
        TV nmin = S.Load(ref rMin, j), nmax = S.Load(ref rMax, j), sMin = S.Load(ref aMin, j), sMax = S.Load(ref aMax, j);
        TV b0 = GradientStepFast(g0, S.Load(ref x, k), nmin, nmax, ref sMin, ref sMax);
        TV b1 = GradientStepFast(g1, S.Load(ref x, k + d), nmin, nmax, ref sMin, ref sMax);
        Put<TStream>(b0, ref bp, k);
        Put<TStream>(b1, ref bp, k + d);
        S.Store(sMin, ref aMin, j);
        S.Store(sMax, ref aMax, j);
    }

    /// <summary>
    /// Two vectors of a cycle of <see cref="GradientStream"/>: elements <paramref name="k"/> .. k + 2W - 1
    /// through slots <paramref name="j"/> .. j + 2W - 1 (independent chains), with one small-gradient
    /// test for both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientSlotPair<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint k, nuint j,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        TV g0 = S.Load(ref g, k), g1 = S.Load(ref g, k + w);
        if (TZr.Value || S.AnySmallNonZero(g0, g1))
        {
            GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k, j, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            GradientSlots<TZr, TStream, TPrefetch>(ref g, ref x, ref bp, k + w, j + w, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
            return;
        }

        Prefetch<TPrefetch>(ref g, k + PrefetchDistance);
        Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
        TV s0Min = S.Load(ref aMin, j), s0Max = S.Load(ref aMax, j), s1Min = S.Load(ref aMin, j + w), s1Max = S.Load(ref aMax, j + w);
        TV b0 = GradientStepFast(g0, S.Load(ref x, k), S.Load(ref rMin, j), S.Load(ref rMax, j), ref s0Min, ref s0Max);
        TV b1 = GradientStepFast(g1, S.Load(ref x, k + w), S.Load(ref rMin, j + w), S.Load(ref rMax, j + w), ref s1Min, ref s1Max);
        Put<TStream>(b0, ref bp, k);
        Put<TStream>(b1, ref bp, k + w);
        S.Store(s0Min, ref aMin, j);
        S.Store(s0Max, ref aMax, j);
        S.Store(s1Min, ref aMin, j + w);
        S.Store(s1Max, ref aMax, j + w);
    }

    /// <summary>
    /// Elements <paramref name="k0"/> .. k1 - 1 of <see cref="GradientStream"/> through slots
    /// <paramref name="j0"/>, j0 + 1, …, one lane at a time (the one-lane instantiation: its lead
    /// and tail). Out of line, with an inlining budget of its own: inside the stream driver the
    /// JIT had run out of budget and left these lane operations as calls.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static void GradientSlotsScalar<TZr>(ref float g, ref float x, ref float bp, nuint k0, nuint k1, nuint j0,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
    {
        for (nuint k = k0, j = j0; k < k1; k++, j++)
        {
            GradientSlots<TZr, No, No>(ref g, ref x, ref bp, k, j, ref rMin, ref rMax, ref rZr, ref aMin, ref aMax);
        }
    }

    /// <summary>
    /// The vector at element <paramref name="k"/> of <see cref="GradientStream"/> through slots
    /// <paramref name="j"/> .. j + W - 1 (one element for the one-lane instantiation: the lead and tail).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientSlots<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, nuint k, nuint j,
        ref float rMin, ref float rMax, ref float rZr, ref float aMin, ref float aMax)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        Prefetch<TPrefetch>(ref g, k + PrefetchDistance);
        Prefetch<TPrefetch>(ref x, k + PrefetchDistance);
        TV sMin = S.Load(ref aMin, j), sMax = S.Load(ref aMax, j);
        TV b = GradientStep<TZr>(S.Load(ref g, k), S.Load(ref x, k), S.Load(ref rMin, j), S.Load(ref rMax, j),
            TZr.Value ? S.Load(ref rZr, j) : default, ref sMin, ref sMax);
        Put<TStream>(b, ref bp, k);
        S.Store(sMin, ref aMin, j);
        S.Store(sMax, ref aMax, j);
    }

    /// <summary>
    /// Per-channel gradient, channel last, <c>d ≥ W</c>: lane = channel. For channels
    /// <c>[c0, c1)</c> (<paramref name="c0"/> a multiple of W) the rows are walked row-major in
    /// memory order, each channel group's running sums in the caller's scratch: rows of more than
    /// 3W channels, and every row in calls beyond the L3 (<typeparamref name="TPrefetch"/>).
    /// Narrower rows of cached calls are walked in tiles of <c>R = max(1, Tile/d)</c> rows; inside
    /// a tile, for each group of W channels the two running sums stay in registers while the
    /// tile's rows are visited <em>in order</em>, and go back to
    /// <paramref name="sumMin"/>/<paramref name="sumMax"/> between tiles. So every channel's sum is
    /// the reference's chain <c>s = flush(s + term)</c> over rows 0, 1, 2, … — bitwise equal at any
    /// W and for any split of channels between threads. Channels past the last whole vector
    /// (<c>d mod W</c>, only in the last part): not in place, one more vector over the part's last
    /// W channels (<see cref="ColumnTailStart"/>; its other lanes recompute the backprop already
    /// written, bitwise the same from the intact inputs, and their sums are dropped); in place, the
    /// one-lane instantiation of the same code (the inputs under those lanes are overwritten).
    /// With <typeparamref name="TPrefetch"/> g and x are prefetched 2 KiB ahead in memory order.
    /// Ninth session, beyond the L3 (alternating builds, quick mode, one thread, 16M elements,
    /// ratio to the yardstick, tiles → row-major): d = 17 0.48–0.54 → 0.53–0.65, d = 20
    /// 0.46–0.55 → 0.59–0.67, d = 12 0.43–0.56 → 0.54–0.63, d = 9 and 30 alike; in cache the
    /// tiles stay ahead (1024×17: 7 µs against 9–14 µs). Tenth session: the row-major walk of
    /// rows of at most <see cref="TwoRowLimit"/> channels goes two rows at a time
    /// (<see cref="ColumnRowPairs"/>); twelve alternating rounds, one thread, medians of the
    /// ratio: d = 12 0.59 → 0.63, d = 17 0.60 → 0.62, d = 20 0.60 → 0.66, d = 30 0.65 → 0.69,
    /// d = 67 0.64 → 0.67 (16M elements; cached 8192×30 0.50 → 0.54). See tests/TfFakeQuant.Benchmarks/PERFORMANCE.md.
    /// </summary>
    [MethodImpl(EntryPoint)]
    public static void GradientColumns<TZr, TPrefetch>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint rows, nuint d, nuint c0, nuint c1, ref float table, ref float scratch, nuint block, bool inPlace)
        where TZr : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * d);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * d);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * d);
        if (TPrefetch.Value || c1 - c0 > 3 * w)
        {
            // Wide rows, or a call beyond the L3: walk row-major (streaming memory order) over
            // blocks of at most `block` channels (the caller's scratch holds 2 · block floats:
            // the whole row up to StreamMaxChannels, so the data is walked once; wider rows in
            // ColumnBlock blocks, each walking every row's part); the block's running sums live in
            // the caller's private scratch (never shared with another thread's cache lines) and
            // each channel group is an independent chain, so the load-add-flush-store latency of
            // one group overlaps the others'. Per channel the order is still rows 0, 1, 2, …
            for (nuint cb0 = c0; cb0 < c1; cb0 += block)
            {
                nuint cb1 = Math.Min(c1, cb0 + block);
                ref float accMin = ref Unsafe.Subtract(ref scratch, cb0);
                ref float accMax = ref Unsafe.Subtract(ref Unsafe.Add(ref scratch, block), cb0);
                for (nuint c = cb0; c < cb1; c++)
                {
                    Unsafe.Add(ref accMin, c) = Unsafe.Add(ref sumMin, c);
                    Unsafe.Add(ref accMax, c) = Unsafe.Add(ref sumMax, c);
                }

                // The block's last d mod W channels as one vector over its last W channels (see
                // ColumnTailStart), its sums in registers; in place, one lane at a time.
                nuint whole = cb0 + ((cb1 - cb0) / w * w);
                bool tail = whole < cb1 && !inPlace && cb1 - cb0 >= w;
                nuint ct = cb1 - w;
                TV tMinAcc = default, tMaxAcc = default;
                if (tail)
                {
                    tMinAcc = ColumnTailStart(ref accMin, ct, whole);
                    tMaxAcc = ColumnTailStart(ref accMax, ct, whole);
                }

                // Short rows: two rows at a time (as the stream's row pairs), the last odd row below.
                nuint r = 0;
                if (cb1 - cb0 <= TwoRowLimit)
                {
                    TV pairMin = tMinAcc, pairMax = tMaxAcc; // copies: the tail sums themselves stay out of memory
                    r = ColumnRowPairs<TZr, TPrefetch>(ref g, ref x, ref bp, rows, d, cb0, cb1, ref tMin, ref tMax, ref tZr, ref accMin, ref accMax,
                        ct, tail, ref pairMin, ref pairMax);
                    tMinAcc = pairMin;
                    tMaxAcc = pairMax;
                }

                for (; r < rows; r++)
                {
                    nuint rowOff = r * d;
                    nuint c = cb0;
                    for (; c + w <= cb1; c += w)
                    {
                        nuint off = rowOff + c;
                        Prefetch<TPrefetch>(ref g, off + PrefetchDistance);
                        Prefetch<TPrefetch>(ref x, off + PrefetchDistance);
                        TV sMin = S.Load(ref accMin, c), sMax = S.Load(ref accMax, c);
                        TV b = GradientStep<TZr>(S.Load(ref g, off), S.Load(ref x, off), S.Load(ref tMin, c), S.Load(ref tMax, c),
                            TZr.Value ? S.Load(ref tZr, c) : default, ref sMin, ref sMax);
                        S.Store(b, ref bp, off);
                        S.Store(sMin, ref accMin, c);
                        S.Store(sMax, ref accMax, c);
                    }

                    if (tail)
                    {
                        nuint off = rowOff + ct;
                        S.Store(GradientStep<TZr>(S.Load(ref g, off), S.Load(ref x, off), S.Load(ref tMin, ct), S.Load(ref tMax, ct),
                            TZr.Value ? S.Load(ref tZr, ct) : default, ref tMinAcc, ref tMaxAcc), ref bp, off);
                    }
                    else if (c < cb1)
                    {
                        Driver<SimdScalar, float>.GradientColumnScalarRange<TZr>(ref g, ref x, ref bp, ref accMin, ref accMax, r, d, c, cb1, ref tMin, ref tMax, ref tZr);
                    }
                }

                if (tail)
                {
                    ColumnTailEnd(tMinAcc, ref accMin, ct, whole, cb1);
                    ColumnTailEnd(tMaxAcc, ref accMax, ct, whole, cb1);
                }

                for (nuint c = cb0; c < cb1; c++)
                {
                    Unsafe.Add(ref sumMin, c) = Unsafe.Add(ref accMin, c);
                    Unsafe.Add(ref sumMax, c) = Unsafe.Add(ref accMax, c);
                }
            }

            return;
        }

        nuint tileRows = Math.Max(1, (nuint)Tile / d);
        nuint wholeEnd = c0 + ((c1 - c0) / w * w);
        bool overlap = wholeEnd < c1 && !inPlace && c1 - c0 >= w;
        for (nuint r0 = 0; r0 < rows; r0 += tileRows)
        {
            nuint r1 = Math.Min(rows, r0 + tileRows);
            nuint c = c0;
            for (; c + w <= c1; c += w)
            {
                TV sMin = S.Load(ref sumMin, c), sMax = S.Load(ref sumMax, c);
                ColumnGroupRows<TZr>(ref g, ref x, ref bp, r0, r1, d, c, ref tMin, ref tMax, ref tZr, ref sMin, ref sMax);
                S.Store(sMin, ref sumMin, c);
                S.Store(sMax, ref sumMax, c);
            }

            if (overlap)
            {
                nuint ct = c1 - w;
                TV sMin = ColumnTailStart(ref sumMin, ct, wholeEnd), sMax = ColumnTailStart(ref sumMax, ct, wholeEnd);
                ColumnGroupRows<TZr>(ref g, ref x, ref bp, r0, r1, d, ct, ref tMin, ref tMax, ref tZr, ref sMin, ref sMax);
                ColumnTailEnd(sMin, ref sumMin, ct, wholeEnd, c1);
                ColumnTailEnd(sMax, ref sumMax, ct, wholeEnd, c1);
                continue;
            }

            for (; c < c1; c++)
            {
                Driver<SimdScalar, float>.GradientColumnScalar<TZr>(ref g, ref x, ref bp, ref sumMin, ref sumMax, r0, r1, d, c, ref tMin, ref tMax, ref tZr);
            }
        }
    }

    /// <summary>
    /// The row-major walk of <see cref="GradientColumns"/> over channels <c>[cb0, cb1)</c> (at most
    /// <see cref="TwoRowLimit"/>) two rows at a time while two remain (<see cref="GradientSlotRows"/>
    /// per whole group; the tail vector at <paramref name="ct"/> with its sums in
    /// <paramref name="tailMin"/>/<paramref name="tailMax"/> when <paramref name="tail"/>, else the
    /// one-lane remainder, row r before row r + 1); returns the first row left. Out of line: inside
    /// <see cref="GradientColumns"/> the JIT ran out of inlining budget and left lane operations as calls.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static nuint ColumnRowPairs<TZr, TPrefetch>(ref float g, ref float x, ref float bp, nuint rows, nuint d, nuint cb0, nuint cb1,
        ref float tMin, ref float tMax, ref float tZr, ref float accMin, ref float accMax, nuint ct, bool tail, ref TV tailMin, ref TV tailMax)
        where TZr : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        TV sMin = tailMin, sMax = tailMax;
        nuint r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            nuint rowOff = r * d;
            nuint c = cb0;
            for (; c + w <= cb1; c += w)
            {
                // The stream's row pair: element rowOff + c meets "slot" c, the channel itself.
                GradientSlotRows<TZr, No, TPrefetch>(ref g, ref x, ref bp, rowOff + c, d, c, ref tMin, ref tMax, ref tZr, ref accMin, ref accMax);
            }

            if (tail)
            {
                nuint off = rowOff + ct;
                TV nmin = S.Load(ref tMin, ct), nmax = S.Load(ref tMax, ct), zr = TZr.Value ? S.Load(ref tZr, ct) : default;
                S.Store(GradientStep<TZr>(S.Load(ref g, off), S.Load(ref x, off), nmin, nmax, zr, ref sMin, ref sMax), ref bp, off);
                S.Store(GradientStep<TZr>(S.Load(ref g, off + d), S.Load(ref x, off + d), nmin, nmax, zr, ref sMin, ref sMax), ref bp, off + d);
            }
            else if (c < cb1)
            {
                Driver<SimdScalar, float>.GradientColumnScalarRange<TZr>(ref g, ref x, ref bp, ref accMin, ref accMax, r, d, c, cb1, ref tMin, ref tMax, ref tZr);
                Driver<SimdScalar, float>.GradientColumnScalarRange<TZr>(ref g, ref x, ref bp, ref accMin, ref accMax, r + 1, d, c, cb1, ref tMin, ref tMax, ref tZr);
            }
        }

        tailMin = sMin;
        tailMax = sMax;
        return r;
    }

    /// <summary>
    /// Rows <c>[r0, r1)</c> of the W channels from <paramref name="c"/> in the tiled walk of
    /// <see cref="GradientColumns"/> (a cached call: no prefetch), in row order, carrying the group's sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnGroupRows<TZr>(ref float g, ref float x, ref float bp, nuint r0, nuint r1, nuint d, nuint c,
        ref float tMin, ref float tMax, ref float tZr, ref TV sMin, ref TV sMax)
        where TZr : struct, IFlag
    {
        TV nmin = S.Load(ref tMin, c), nmax = S.Load(ref tMax, c), zr = TZr.Value ? S.Load(ref tZr, c) : default;
        nuint off = (r0 * d) + c;
        for (nuint r = r0; r < r1; r++, off += d)
        {
            S.Store(GradientStep<TZr>(S.Load(ref g, off), S.Load(ref x, off), nmin, nmax, zr, ref sMin, ref sMax), ref bp, off);
        }
    }

    /// <summary>
    /// The starting sums of a tail vector over channels <paramref name="ct"/> .. ct + W - 1 whose
    /// channels from <paramref name="first"/> on are new to it: their sums from
    /// <paramref name="sums"/>, +0 in the earlier lanes (their chains are dropped at
    /// <see cref="ColumnTailEnd"/>). Built lane by lane in a local, so nothing outside the new
    /// channels' sums is read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ColumnTailStart(ref float sums, nuint ct, nuint first)
    {
        TV start = default;
        ref float lanes = ref Unsafe.As<TV, float>(ref start);
        for (nuint i = 0; i < (nuint)S.Count; i++)
        {
            Unsafe.Add(ref lanes, i) = ct + i >= first ? Unsafe.Add(ref sums, ct + i) : 0f;
        }

        return start;
    }

    /// <summary>Stores the lanes of a tail vector's sums (see <see cref="ColumnTailStart"/>) for channels <paramref name="first"/> .. <paramref name="end"/> - 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnTailEnd(TV tail, ref float sums, nuint ct, nuint first, nuint end)
    {
        ref float lanes = ref Unsafe.As<TV, float>(ref tail);
        for (nuint c = first; c < end; c++)
        {
            Unsafe.Add(ref sums, c) = Unsafe.Add(ref lanes, c - ct);
        }
    }

    /// <summary>One row, channels <c>[c, c1)</c>, one lane (the row remainder of the row-major <see cref="GradientColumns"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumnScalarRange<TZr>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint r, nuint d, nuint c, nuint c1, ref float tMin, ref float tMax, ref float tZr)
        where TZr : struct, IFlag
    {
        for (; c < c1; c++)
        {
            nuint off = (r * d) + c;
            Unsafe.Add(ref bp, off) = Driver<SimdScalar, float>.GradientStep<TZr>(Unsafe.Add(ref g, off), Unsafe.Add(ref x, off),
                Unsafe.Add(ref tMin, c), Unsafe.Add(ref tMax, c), Unsafe.Add(ref tZr, c), ref Unsafe.Add(ref sumMin, c), ref Unsafe.Add(ref sumMax, c));
        }
    }

    /// <summary>One channel, rows <c>[r0, r1)</c>, one lane (the remainder of <see cref="GradientColumns"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumnScalar<TZr>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint r0, nuint r1, nuint d, nuint c, ref float tMin, ref float tMax, ref float tZr)
        where TZr : struct, IFlag
    {
        float nmin = Unsafe.Add(ref tMin, c), nmax = Unsafe.Add(ref tMax, c), zr = Unsafe.Add(ref tZr, c);
        float sMin = Unsafe.Add(ref sumMin, c), sMax = Unsafe.Add(ref sumMax, c);
        nuint off = (r0 * d) + c;
        for (nuint r = r0; r < r1; r++, off += d)
        {
            Unsafe.Add(ref bp, off) = Driver<SimdScalar, float>.GradientStep<TZr>(Unsafe.Add(ref g, off), Unsafe.Add(ref x, off), nmin, nmax, zr,
                ref sMin, ref sMax);
        }

        Unsafe.Add(ref sumMin, c) = sMin;
        Unsafe.Add(ref sumMax, c) = sMax;
    }

    /// <summary>
    /// Per-channel gradient, channel last, <c>d = 1</c> — the per-tensor VarsGradient, and the
    /// inner-axis runs of <see cref="GradientRuns"/> — or <c>d &lt; W</c> with more than
    /// <see cref="MaxRounds"/> rounds (at 512 bits d = 2, 3; the others go to
    /// <see cref="GradientRounds"/>): several rows per vector. Works in tiles of whole periods
    /// (<paramref name="period"/> = lcm(d, W)). Pass 1 is the pattern-vector elementwise part
    /// (lane = element, constants from the period table): it writes the input backprop and
    /// left-packs, for each sum, the terms that can be nonzero into that sum's list in element
    /// order (with their channel indices when d &gt; 1), one permute and one store per vector
    /// (<see cref="ISimd{TV}.Compress"/>). Pass 2 continues each channel's scalar chain
    /// <c>s = flush(s + term)</c> over the lists (<c>ChainPacked</c> shows why leaving out the ±0
    /// terms is exact, and redoes the one case where it is not: <c>ChainFull</c>). The sums cannot be split
    /// across lanes without reordering them, hence the scalar chains; in QAT data only a few
    /// percent of the elements lie outside the range, so the lists are short. In place is safe:
    /// pass 1 reads each element before writing it, pass 2 reads the lists; to redo a chain it
    /// needs the lanes each vector listed, so in place (<typeparamref name="TInPlace"/>) pass 1
    /// keeps each vector's lane mask (below in bits 0..15, above in 16..31) and otherwise, the
    /// gradients and inputs being intact, the chain is recomputed from them (keeping the masks
    /// cost the loop a store and a spilled pointer per vector). The remainder of a tile (&lt; W elements) runs the same element
    /// function one lane at a time. With <typeparamref name="TStream"/> the backprop is stored
    /// non-temporally: the first <paramref name="lead"/> (&lt; W) elements go one at a time so the
    /// vectors are aligned, and the table is rotated by the lead (as the forward pattern's). The
    /// lists, masks and constants live in the page-placed stack area <paramref name="area"/>
    /// (<see cref="PatternArea"/>).
    /// </summary>
    /// <typeparam name="TZr">Some channel is the zero-range case.</typeparam>
    /// <typeparam name="TMulti"><c>d &gt; 1</c>: the lists carry each term's channel.</typeparam>
    /// <typeparam name="TStream">Streaming stores for the backprop (aligned from the lead on).</typeparam>
    /// <typeparam name="TInPlace">The backprop overwrites the gradients or the inputs (see <see cref="PatternTiles"/>).</typeparam>
    /// <typeparam name="TPrefetch">Prefetch the gradients and inputs (calls beyond the L3).</typeparam>
    [MethodImpl(EntryPoint)]
    public static void GradientPattern<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint n, nuint d, nuint lead, ref float table, nuint period, ref float area)
        where TZr : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        ref byte lanes = ref PatternArea.LanesFor(n, ref area);
        nuint head = Math.Min(lead, n);
        ScalarSteps(ref g, ref x, ref bp, ref sumMin, ref sumMax, 0, head, d, lead, ref table, period);
        nuint first = lead % d;
        SetPattern(ref table, period, d, first, ref area);
        PatternTiles<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref Unsafe.Add(ref g, head), ref Unsafe.Add(ref x, head), ref Unsafe.Add(ref bp, head), ref sumMin, ref sumMax,
            n - head, d, first, period, ref area, ref lanes);
    }

    /// <summary>
    /// Exact one-element steps for elements <paramref name="from"/> .. <paramref name="to"/> - 1 of a
    /// d &lt; W gradient whose table is rotated by <paramref name="lead"/> (element i reads entry
    /// <c>(i - lead) mod period</c>), on the sums in memory: the lead before the aligned vectors
    /// and the tail after them.
    /// </summary>
    private static void ScalarSteps(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax, nuint from, nuint to, nuint d, nuint lead,
        ref float table, nuint period)
    {
        ref float tMin = ref Unsafe.Add(ref table, ChannelTable.NudgedMin * period);
        ref float tMax = ref Unsafe.Add(ref table, ChannelTable.NudgedMax * period);
        ref float tZr = ref Unsafe.Add(ref table, ChannelTable.ZeroRange * period);
        for (nuint i = from; i < to; i++)
        {
            nuint e = (i + period - (lead % period)) % period;
            Unsafe.Add(ref bp, i) = Driver<SimdScalar, float>.GradientStep<Yes>(Unsafe.Add(ref g, i), Unsafe.Add(ref x, i), Unsafe.Add(ref tMin, e),
                Unsafe.Add(ref tMax, e), Unsafe.Add(ref tZr, e), ref Unsafe.Add(ref sumMin, i % d), ref Unsafe.Add(ref sumMax, i % d));
        }
    }

    /// <summary>Most rounds <see cref="GradientRounds"/> takes per vector (<c>ceil(W / d)</c>); fewer channels go to the pattern driver.</summary>
    public const int MaxRounds = 4;

    /// <summary>Whether <see cref="GradientRounds"/> takes <paramref name="d"/> channels at <paramref name="w"/> lanes: 2 ≤ d &lt; W within <see cref="MaxRounds"/> rounds.</summary>
    internal static bool RoundsTake(nuint d, nuint w) => d >= 2 && d < w && (w + d - 1) / d <= MaxRounds;

    /// <summary>Vectors per vector of the period in the blocks of <see cref="GradientRounds"/>: nudged min, nudged max, zero-range mask, and up to <see cref="MaxRounds"/> lane lists.</summary>
    private const int RoundsBlock = 3 + MaxRounds;

    /// <summary>Floats of the work area of <see cref="GradientRounds"/>: the blocks of the longest period (15 · 16), two vectors of sums, and room to align it to 64 bytes.</summary>
    public const int RoundsArea = (RoundsBlock * 240) + 32 + 16;

    /// <summary>
    /// The channel-last gradient for <c>2 ≤ d &lt; W</c> with <c>ceil(W/d) ≤ </c><see cref="MaxRounds"/>,
    /// in one pass and with the exact chains of the reference, no lists. The sums live in two
    /// vectors, lane c holding channel c. A vector of W elements holds each channel at most
    /// R = <c>ceil(W/d)</c> times, so its terms reach the sums in R rounds: round o adds, to each
    /// channel's lane, that channel's o-th term in the vector (<see cref="ISimd{TV}.Pick"/> with a
    /// lane list of the period's table), or −0 where the channel has fewer — an add that leaves
    /// the sum as it is (only the last round can have such channels: W consecutive elements hold
    /// each channel at least <c>floor(W/d)</c> times, so the others are a bare
    /// <see cref="ISimd{TV}.Permute"/>). Each sum therefore takes exactly its channel's terms,
    /// every one, in element order: the reference's chain <c>s = flush(s + term)</c>, bitwise,
    /// with a latency of R adds per vector. The flushes are skipped where no gradient has a
    /// magnitude in (0, 2^-102), by <see cref="GradientStep{TZr}"/>'s argument (a −0 filler
    /// changes no sum): not in place, per 2,048-element tile, checked after the tile's fast loop
    /// (a tile that fails runs again with every flush); in place, per pair of vectors, checked
    /// before it (<see cref="RoundsRun"/>). Loads each vector's g and x before writing its
    /// backprop, so the backprop may overwrite either. <c>area</c>:
    /// <see cref="RoundsArea"/> floats, 64-byte aligned.
    /// </summary>
    /// <remarks>
    /// Against the pattern driver it replaced for these d (one list pack per sum and vector,
    /// plus a second pass over the lists; for d &gt; 1 the channels packed too), quick mode, one
    /// thread, 4M elements, alternating builds (medians): d = 3 0.57-0.60 → 0.67-0.72 of the
    /// yardstick, d = 7 0.55-0.64 → 0.80-0.84. Tried and dropped: the sums
    /// by one unaligned load per row (lane c = channel c with no permute at all) and the
    /// backprop by aligned vectors in a second loop per tile — faster on cached data for d = 6,
    /// 7 (65K elements: 34 against 50 µs) but slower from memory for every d (0.54-0.71 against
    /// 0.64-0.80, alternating builds), the two loops taking turns at the memory. For d = 1
    /// (R = W) the chain latency, 3 cycles per element, is more than the pattern driver's
    /// pass over the lists costs, hence <see cref="MaxRounds"/>.
    /// </remarks>
    [MethodImpl(EntryPoint)]
    public static void GradientRounds<TZr, TStream, TPrefetch>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint n, nuint d, nuint lead, ref float table, nuint period, ref float area)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        nuint head = Math.Min(lead, n);
        ScalarSteps(ref g, ref x, ref bp, ref sumMin, ref sumMax, 0, head, d, lead, ref table, period);
        nuint rounds = (w + d - 1) / d;
        if (!RoundsTake(d, w))
        {
            throw new InvalidOperationException($"The rounds driver takes 2 <= d < W within {MaxRounds} rounds, not d = {d} at W = {w}.");
        }

        nuint len = (n - head) / w * w;
        if (len > 0)
        {
            // Sum lane c holds channel (c + rot) mod d. For d dividing W every vector starts at
            // the same channel, lead mod d: with the lanes rotated by it, each channel's first
            // term in a vector is in its own lane and round 0 needs no permute (AddRounds).
            nuint rot = w % d == 0 ? lead % d : 0;
            SetRounds(ref table, period, d, lead % d - rot, ref area);
            ref float sums = ref Unsafe.Add(ref area, RoundsBlock * period);
            for (nuint c = 0; c < w; c++)
            {
                Unsafe.Add(ref sums, c) = c < d ? Unsafe.Add(ref sumMin, (c + rot) % d) : 0f;
                Unsafe.Add(ref sums, w + c) = c < d ? Unsafe.Add(ref sumMax, (c + rot) % d) : 0f;
            }

            ref float gv = ref Unsafe.Add(ref g, head), xv = ref Unsafe.Add(ref x, head), bv = ref Unsafe.Add(ref bp, head);
            switch ((rounds, w % d != 0))
            {
                case (2, false):
                    RoundsRun<TZr, TStream, TPrefetch, No, No, No>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
                case (2, true):
                    RoundsRun<TZr, TStream, TPrefetch, No, No, Yes>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
                case (3, false):
                    RoundsRun<TZr, TStream, TPrefetch, Yes, No, No>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
                case (3, true):
                    RoundsRun<TZr, TStream, TPrefetch, Yes, No, Yes>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
                case (_, false):
                    RoundsRun<TZr, TStream, TPrefetch, Yes, Yes, No>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
                default:
                    RoundsRun<TZr, TStream, TPrefetch, Yes, Yes, Yes>(ref gv, ref xv, ref bv, len, period, ref area, ref sums);
                    break;
            }

            for (nuint c = 0; c < d; c++)
            {
                Unsafe.Add(ref sumMin, (c + rot) % d) = Unsafe.Add(ref sums, c);
                Unsafe.Add(ref sumMax, (c + rot) % d) = Unsafe.Add(ref sums, w + c);
            }
        }

        ScalarSteps(ref g, ref x, ref bp, ref sumMin, ref sumMax, head + len, n, d, lead, ref table, period);
    }

    /// <summary>
    /// Writes the blocks of <see cref="GradientRounds"/> for the rotated <paramref name="table"/>:
    /// per vector k of the period, the bounds and zero-range mask of its lanes, then for each
    /// round o the lane list whose lane c holds the lane of channel c's o-th element in the
    /// vector, or int.MinValue (a −0 filler) if it has fewer, and so do the lanes c ≥ d. The
    /// vector's lane j is entry <c>k·W + j</c>, channel <c>(k·W + j + first) mod d</c>.
    /// </summary>
    private static void SetRounds(ref float table, nuint period, nuint d, nuint first, ref float area)
    {
        nuint w = (nuint)S.Count;
        Span<int> seen = stackalloc int[16];
        for (nuint k = 0; k < period / w; k++)
        {
            ref float block = ref Unsafe.Add(ref area, k * RoundsBlock * w);
            ref int lists = ref Unsafe.As<float, int>(ref Unsafe.Add(ref block, 3 * w));
            seen.Clear();
            for (nuint j = 0; j < MaxRounds * w; j++)
            {
                Unsafe.Add(ref lists, j) = int.MinValue;
            }

            for (nuint j = 0; j < w; j++)
            {
                nuint e = (k * w) + j, c = (e + first) % d;
                Unsafe.Add(ref block, j) = Unsafe.Add(ref table, (ChannelTable.NudgedMin * period) + e);
                Unsafe.Add(ref block, w + j) = Unsafe.Add(ref table, (ChannelTable.NudgedMax * period) + e);
                Unsafe.Add(ref block, (2 * w) + j) = Unsafe.Add(ref table, (ChannelTable.ZeroRange * period) + e);
                Unsafe.Add(ref lists, ((nuint)seen[(int)c]++ * w) + c) = (int)j;
            }
        }
    }

    /// <summary>
    /// The vector loop of <see cref="GradientRounds"/> over <paramref name="len"/> elements (whole
    /// vectors, starting at entry 0 of the period), the sums entering and leaving in
    /// <paramref name="sums"/> (min vector, then max vector). <typeparamref name="TThree"/> and
    /// <typeparamref name="TFour"/>: a third and a fourth round; <typeparamref name="TFill"/>:
    /// W mod d ≠ 0, so the last round has channels without a term (the others never: W
    /// consecutive elements hold every channel at least <c>floor(W/d)</c> times). The fast pairs
    /// run in <see cref="RoundsFast"/>, a loop with no test or call in it that stops only at its
    /// end: not in place, per <see cref="RoundsTile"/> elements, whose sums it leaves untouched
    /// if the tile held a gradient the fast step may not take (then the tile runs again in
    /// <see cref="RoundsExact"/> from its gradients and inputs, which are intact, and its
    /// backprop is written again); in place, up to the first such pair, which takes its exact
    /// steps here.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static void RoundsRun<TZr, TStream, TPrefetch, TThree, TFour, TFill>(ref float g, ref float x, ref float bp, nuint len, nuint period,
        ref float blocks, ref float sums)
        where TZr : struct, IFlag
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
        where TThree : struct, IFlag
        where TFour : struct, IFlag
        where TFill : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        nuint pairs = len / (2 * w) * (2 * w);
        if (TZr.Value)
        {
            pairs = 0; // every step exact
        }
        else if (!Unsafe.AreSame(ref bp, ref g) && !Unsafe.AreSame(ref bp, ref x))
        {
            for (nuint t = 0; t < pairs; t += RoundsTile)
            {
                nuint stop = Math.Min(t + RoundsTile, pairs);
                RoundsFast<TStream, TPrefetch, TThree, TFour, TFill, No>(ref g, ref x, ref bp, t, stop, period, ref blocks, ref sums, out bool redo);
                if (redo)
                {
                    RoundsExact<TStream, TThree, TFour, TFill>(ref g, ref x, ref bp, t, stop, period, ref blocks, ref sums);
                }
            }
        }
        else
        {
            nuint i = 0;
            while (i < pairs)
            {
                i = RoundsFast<TStream, TPrefetch, TThree, TFour, TFill, Yes>(ref g, ref x, ref bp, i, pairs, period, ref blocks, ref sums, out _);
                if (i < pairs)
                {
                    RoundsExact<TStream, TThree, TFour, TFill>(ref g, ref x, ref bp, i, i + (2 * w), period, ref blocks, ref sums);
                    i += 2 * w;
                }
            }
        }

        if (pairs < len)
        {
            RoundsExact<TStream, TThree, TFour, TFill>(ref g, ref x, ref bp, pairs, len, period, ref blocks, ref sums);
        }
    }

    /// <summary>
    /// Elements per tile of <see cref="RoundsRun"/> not in place: the unit that runs again
    /// exactly when it holds a gradient the fast step may not take (a multiple of 2W at every width).
    /// </summary>
    private const nuint RoundsTile = 2048;

    /// <summary>
    /// The fast pairs of <see cref="RoundsRun"/> from element <paramref name="i"/> to
    /// <paramref name="stop"/> (multiples of 2W), the sums loaded from <paramref name="sums"/>.
    /// Not <typeparamref name="TInPlace"/>: no test per pair — the gradients' magnitudes go into a
    /// running record (<see cref="ISimd{TV}.TrackMagnitudes"/>) and, if it shows a small nonzero
    /// gradient, <paramref name="redo"/> is set and the sums are not stored (the
    /// backprop written is then wrong for such a gradient and written again by the caller's
    /// exact rerun). <typeparamref name="TInPlace"/>: a pair with a small nonzero gradient ends
    /// the loop, its index returned for the caller's exact steps. Without a call or a test in
    /// the loop the JIT keeps its state in registers (with the exact pair's call inside, it kept
    /// the loop index and a block pointer on the stack). Against the per-pair test with that
    /// call in the loop: cached 65,536 elements, best of ten alternating runs, d = 3 46.1 → 45.9
    /// µs, d = 5 40.1 → 39.0, d = 7 39.4 → 37.9; 4M elements, quick mode, medians of four
    /// alternating rounds, d = 3 0.72 → 0.76 of the yardstick, d = 4 0.72 → 0.74, d = 5 0.71 →
    /// 0.74, d = 7 0.78 → 0.81.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static nuint RoundsFast<TStream, TPrefetch, TThree, TFour, TFill, TInPlace>(ref float g, ref float x, ref float bp, nuint i, nuint stop,
        nuint period, ref float blocks, ref float sums, out bool redo)
        where TStream : struct, IFlag
        where TPrefetch : struct, IFlag
        where TThree : struct, IFlag
        where TFour : struct, IFlag
        where TFill : struct, IFlag
        where TInPlace : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float end = ref Unsafe.Add(ref blocks, RoundsBlock * period);
        ref float pv = ref RoundsBlockAt(ref blocks, i, period);
        TV sMin = S.Load(ref sums, 0), sMax = S.Load(ref sums, w);
        TV low = default, high = default;
        for (; i < stop; i += 2 * w)
        {
            Prefetch<TPrefetch>(ref g, i + PrefetchDistance);
            Prefetch<TPrefetch>(ref x, i + PrefetchDistance);
            TV g0 = S.Load(ref g, i), g1 = S.Load(ref g, i + w);
            if (TInPlace.Value)
            {
                if (S.AnySmallNonZero(g0, g1))
                {
                    break;
                }
            }
            else
            {
                S.TrackMagnitudes(g0, ref low, ref high);
                S.TrackMagnitudes(g1, ref low, ref high);
            }

            ref float pv1 = ref NextBlock(ref pv, ref blocks, ref end);
            Put<TStream>(RoundsStep<No, TThree, TFour, TFill>(g0, S.Load(ref x, i), ref pv, ref sMin, ref sMax), ref bp, i);
            Put<TStream>(RoundsStep<No, TThree, TFour, TFill>(g1, S.Load(ref x, i + w), ref pv1, ref sMin, ref sMax), ref bp, i + w);
            pv = ref NextBlock(ref pv1, ref blocks, ref end);
        }

        // Only the small nonzeros call for the exact steps: the fast step is exact for ±Infinity
        // and NaN gradients (as under the per-pair test of the in-place loop), so the record's
        // high half is not consulted (and the JIT drops its computation).
        redo = !TInPlace.Value && S.AnyTrackedSmallNonZeroOrNonFinite(low, default);
        if (!redo)
        {
            S.Store(sMin, ref sums, 0);
            S.Store(sMax, ref sums, w);
        }

        return i;
    }

    /// <summary>
    /// The exact steps of <see cref="RoundsRun"/> (every flush) for the vectors from element
    /// <paramref name="i"/> to <paramref name="stop"/> (multiples of W), the sums loaded from and
    /// stored to <paramref name="sums"/>. Out of line: inlined beside the fast loop, it made the
    /// loop exceed the JIT's inlining budget and lane operations became calls.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static void RoundsExact<TStream, TThree, TFour, TFill>(ref float g, ref float x, ref float bp, nuint i, nuint stop, nuint period,
        ref float blocks, ref float sums)
        where TStream : struct, IFlag
        where TThree : struct, IFlag
        where TFour : struct, IFlag
        where TFill : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref float end = ref Unsafe.Add(ref blocks, RoundsBlock * period);
        ref float pv = ref RoundsBlockAt(ref blocks, i, period);
        TV sMin = S.Load(ref sums, 0), sMax = S.Load(ref sums, w);
        for (; i < stop; i += w)
        {
            Put<TStream>(RoundsStep<Yes, TThree, TFour, TFill>(S.Load(ref g, i), S.Load(ref x, i), ref pv, ref sMin, ref sMax), ref bp, i);
            pv = ref NextBlock(ref pv, ref blocks, ref end);
        }

        S.Store(sMin, ref sums, 0);
        S.Store(sMax, ref sums, w);
    }

    /// <summary>The block of <see cref="SetRounds"/> for the vector at element <paramref name="i"/> (a multiple of W) of a run starting at entry 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float RoundsBlockAt(ref float blocks, nuint i, nuint period) => ref Unsafe.Add(ref blocks, i % period * RoundsBlock);

    /// <summary>The block after <paramref name="block"/> in the period's ring of <see cref="SetRounds"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float NextBlock(ref float block, ref float blocks, ref float end)
    {
        ref float next = ref Unsafe.Add(ref block, RoundsBlock * S.Count);
        return ref Unsafe.AreSame(ref next, ref end) ? ref blocks : ref next;
    }

    /// <summary>
    /// One vector of <see cref="RoundsRun"/> with its constants <paramref name="block"/>: returns
    /// the backprop and adds the terms to the sums in rounds. <typeparamref name="TExact"/>: every
    /// flush (<see cref="Gradient"/>, each sum flushed after each round); otherwise the caller has
    /// checked that no gradient is a small nonzero, so no flush can act.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV RoundsStep<TExact, TThree, TFour, TFill>(TV gv, TV xv, ref float block, ref TV sMin, ref TV sMax)
        where TExact : struct, IFlag
        where TThree : struct, IFlag
        where TFour : struct, IFlag
        where TFill : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        TV nmin = S.Load(ref block, 0), nmax = S.Load(ref block, w);
        if (TExact.Value)
        {
            TV b = Gradient(gv, xv, nmin, nmax, S.Load(ref block, 2 * w), out TV below, out TV above);
            AddRounds<Yes, TThree, TFour, TFill>(ref sMin, below, ref block);
            AddRounds<Yes, TThree, TFour, TFill>(ref sMax, above, ref block);
            return b;
        }

        TV one = S.Broadcast(1f), excluded = S.Multiply(gv, default);
        AddRounds<No, TThree, TFour, TFill>(ref sMin, S.Select(S.LessThan(xv, nmin), gv, excluded), ref block);
        AddRounds<No, TThree, TFour, TFill>(ref sMax, S.Select(S.LessThan(nmax, xv), gv, excluded), ref block);
        return S.Multiply(gv, S.And(S.And(S.LessThanOrEqual(nmin, xv), S.LessThanOrEqual(xv, nmax)), one));
    }

    /// <summary>
    /// One vector's <paramref name="terms"/> added to the sums <paramref name="s"/> in its rounds
    /// (lane lists in <paramref name="block"/>), flushing each sum under <typeparamref name="TFlush"/>;
    /// only the last round of a <typeparamref name="TFill"/> call fills lanes with −0. Without
    /// <typeparamref name="TFill"/> (d divides W, the sum lanes rotated so that lane c's first
    /// term is lane c of the vector, <see cref="GradientRounds"/>) round 0 adds the terms as they
    /// are: the lanes c ≥ d it adds to hold no sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRounds<TFlush, TThree, TFour, TFill>(ref TV s, TV terms, ref float block)
        where TFlush : struct, IFlag
        where TThree : struct, IFlag
        where TFour : struct, IFlag
        where TFill : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        s = FlushVectorIf<TFlush>(S.Add(s, TFill.Value ? S.Permute(terms, S.Load(ref block, 3 * w)) : terms));
        s = FlushVectorIf<TFlush>(S.Add(s, Round<TFill, TThree>(terms, S.Load(ref block, 4 * w))));
        if (TThree.Value)
        {
            s = FlushVectorIf<TFlush>(S.Add(s, Round<TFill, TFour>(terms, S.Load(ref block, 5 * w))));
        }

        if (TFour.Value)
        {
            s = FlushVectorIf<TFlush>(S.Add(s, Round<TFill, No>(terms, S.Load(ref block, 6 * w))));
        }
    }

    /// <summary>A round's terms: with −0 fills if it is the last (no <typeparamref name="TMore"/>) of a <typeparamref name="TFill"/> call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Round<TFill, TMore>(TV terms, TV lanes)
        where TFill : struct, IFlag
        where TMore : struct, IFlag => TFill.Value && !TMore.Value ? S.Pick(terms, lanes) : S.Permute(terms, lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV FlushVectorIf<TFlush>(TV v)
        where TFlush : struct, IFlag => TFlush.Value ? S.Flush(v) : v;

    /// <summary>
    /// The tiles of <see cref="GradientPattern{TZr, TMulti, TStream, TInPlace, TPrefetch}"/> over <paramref name="n"/>
    /// elements whose first is channel <paramref name="first"/>, with the period's constants already
    /// in the area (<see cref="PatternArea.Constants"/>) and the pack table at <paramref name="lanes"/>
    /// (<see cref="PatternArea.LanesFor"/>). Per tile: pass 1 in
    /// <see cref="PatternRun{TExact, TMulti, TStream, TInPlace, TPrefetch, TUniform}"/>, which in place stops at a
    /// vector with a tiny or non-finite gradient for that vector's exact step out of line, and
    /// otherwise reports such a vector at the end for an exact rerun of the tile; the tile's
    /// remainder one lane at a time; then pass 2 (<see cref="ChainPacked"/>), without its flushes
    /// when every vector of the tile took the fast step.
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static void PatternTiles<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint n, nuint d, nuint first, nuint period, ref float area, ref byte lanes)
        where TZr : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint tile = TileOf(period);
        for (nuint k0 = 0; k0 < n; k0 += tile)
        {
            nuint len = Math.Min(tile, n - k0);
            ref float gt = ref Unsafe.Add(ref g, k0);
            ref float xt = ref Unsafe.Add(ref x, k0);
            ref float bt = ref Unsafe.Add(ref bp, k0);
            bool exact = PatternPass1<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref gt, ref xt, ref bt, len, period, ref area, ref lanes, out nuint nB,
                out nuint nA);
            ChainTile<TMulti, TInPlace>(exact, ref sumMin, ref sumMax, d, first, len, nB, nA, ref area, ref gt, ref xt, ref bt, period);
        }
    }

    /// <summary>
    /// <see cref="ChainPacked"/> for a tile whose pass 1 took an exact step somewhere (its flushes
    /// kept) or none (left out).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChainTile<TMulti, TInPlace>(bool exact, ref float sumMin, ref float sumMax, nuint d, nuint first, nuint len, nuint nB, nuint nA,
        ref float area, ref float gt, ref float xt, ref float bt, nuint period)
        where TMulti : struct, IFlag
        where TInPlace : struct, IFlag
    {
        if (exact)
        {
            ChainPacked<TMulti, Yes, TInPlace>(ref sumMin, ref sumMax, d, first, len, nB, nA, ref area, ref gt, ref xt, ref bt, period);
        }
        else
        {
            ChainPacked<TMulti, No, TInPlace>(ref sumMin, ref sumMax, d, first, len, nB, nA, ref area, ref gt, ref xt, ref bt, period);
        }
    }

    /// <summary>
    /// <c>sums[i] = flush(sums[i] + other[i])</c> for <paramref name="n"/> floats — one node of
    /// the <see cref="SumTree"/>, adding a right child's sums into its left's — W at a time, the
    /// rest one lane at a time.
    /// </summary>
    public static void AddFlushed(ref float sums, ref float other, nuint n)
    {
        nuint w = (nuint)S.Count, i = 0;
        for (; i + w <= n; i += w)
        {
            S.Store(S.Flush(S.Add(S.Load(ref sums, i), S.Load(ref other, i))), ref sums, i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref sums, i) = Subnormals.Flush(Unsafe.Add(ref sums, i) + Unsafe.Add(ref other, i));
        }
    }

    /// <summary>
    /// The tile length of the pattern gradient for a period: whole periods, about <see cref="Tile"/> elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nuint TileOf(nuint period) => period * Math.Max(1, (nuint)Tile / period);

    /// <summary>
    /// Writes the pattern blocks of the rotated <paramref name="table"/> (<see cref="SetConstants"/>)
    /// into the area: tile starts are entry 0 and channel <paramref name="first"/>, and the loop
    /// walks one reference through the blocks.
    /// </summary>
    private static void SetPattern(ref float table, nuint period, nuint d, nuint first, ref float area)
    {
        ref float pattern = ref Unsafe.Add(ref area, PatternArea.Constants);
        for (nuint e = 0; e < period; e++)
        {
            SetConstants(ref pattern, e, Unsafe.Add(ref table, (ChannelTable.NudgedMin * period) + e), Unsafe.Add(ref table, (ChannelTable.NudgedMax * period) + e),
                Unsafe.Add(ref table, (ChannelTable.ZeroRange * period) + e), (e + first) % d);
        }
    }

    /// <summary>
    /// Pass 1 of one tile of <see cref="PatternTiles"/> (<paramref name="len"/> elements): the
    /// backprop written, the lists in the area (lengths <paramref name="nB"/>, <paramref name="nA"/>);
    /// returns whether some step was exact (then pass 2 keeps its flushes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PatternPass1<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref float gt, ref float xt, ref float bt, nuint len, nuint period,
        ref float area, ref byte lanes, out nuint nB, out nuint nA)
        where TZr : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        ref uint masks = ref Unsafe.As<float, uint>(ref Unsafe.Add(ref area, PatternArea.Masks));
        ref float pattern = ref Unsafe.Add(ref area, PatternArea.Constants);
        nuint i = 0;
        nB = 0;
        nA = 0;
        bool exact = TZr.Value;
        while (i + w <= len)
        {
            i = PatternRun<TZr, TMulti, TStream, TInPlace, TPrefetch>(ref gt, ref xt, ref bt, i, len, ref pattern, period, ref area, ref lanes, ref nB, ref nA,
                out bool redo);
            if (redo)
            {
                // Not in place, some vector had a tiny or non-finite gradient: the gradients
                // and inputs being intact, the tile's pass 1 runs again with every step exact.
                exact = true;
                nB = nA = 0;
                i = PatternRun<Yes, TMulti, TStream, TInPlace, TPrefetch>(ref gt, ref xt, ref bt, 0, len, ref pattern, period, ref area, ref lanes, ref nB, ref nA,
                    out _);
            }
            else if (i + w <= len)
            {
                exact = true;
                (nB, nA) = PatternVectorRare<TMulti, TStream, TInPlace>(ref gt, ref xt, ref bt, i, ref BlockAt(ref pattern, i, period),
                    ref Unsafe.Add(ref masks, i / w), ref area, ref lanes, nB, nA);
                i += w;
            }
        }

        if (i < len)
        {
            exact = true;
            ref float pv = ref BlockAt(ref pattern, i, period);
            uint m = 0;
            for (nuint lane = 0; i + lane < len; lane++)
            {
                nuint j = i + lane;
                ref float p = ref Unsafe.Add(ref pv, lane);
                Unsafe.Add(ref bt, j) = Driver<SimdScalar, float>.Gradient(Unsafe.Add(ref gt, j), Unsafe.Add(ref xt, j),
                    p, Unsafe.Add(ref p, w), Unsafe.Add(ref p, 2 * w), out float below, out float above);
                uint bitB = SimdScalar.NonZeroBits(below), bitA = SimdScalar.NonZeroBits(above);
                m |= (bitB << (int)lane) | (bitA << (16 + (int)lane));
                (nB, nA) = Driver<SimdScalar, float>.Pack<TMulti>(below, above, Unsafe.Add(ref p, 3 * w), bitB, bitA, ref area, ref lanes, nB, nA);
            }

            if (TInPlace.Value)
            {
                Unsafe.Add(ref masks, i / w) = m;
            }
        }

        return exact;
    }

    /// <summary><see cref="PatternRun{TExact, TMulti, TStream, TInPlace, TPrefetch, TUniform}"/> for the tile's period.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint PatternRun<TExact, TMulti, TStream, TInPlace, TPrefetch>(ref float gt, ref float xt, ref float bt, nuint i, nuint len,
        ref float pattern, nuint period, ref float area, ref byte lanes, ref nuint listB, ref nuint listA, out bool redo)
        where TExact : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag =>
        period == (nuint)S.Count
            ? PatternRun<TExact, TMulti, TStream, TInPlace, TPrefetch, Yes>(ref gt, ref xt, ref bt, i, len, ref pattern, period, ref area, ref lanes,
                ref listB, ref listA, out redo)
            : PatternRun<TExact, TMulti, TStream, TInPlace, TPrefetch, No>(ref gt, ref xt, ref bt, i, len, ref pattern, period, ref area, ref lanes,
                ref listB, ref listA, out redo);

    /// <summary>
    /// Pass 1 of a tile from vector offset <paramref name="i"/> on: returns where it stopped and
    /// advances the list lengths. With <typeparamref name="TExact"/> every step is exact and it
    /// runs to the end of the tile's whole vectors. Otherwise every step is the fast one, valid
    /// only for gradients that are 0 or normal (≥ 2^-102) and finite: in place, the loop stops at
    /// the first vector with another gradient, for the caller to take that vector's exact step;
    /// not in place, it runs to the end folding the gradients into a magnitude record
    /// (<see cref="ISimd{TV}.TrackMagnitudes"/>: no test or branch per vector) and sets
    /// <paramref name="redo"/> if the record shows such a gradient, for the caller to run the tile
    /// again exactly from its intact gradients and inputs. A loop of its own with no call in it,
    /// so the JIT keeps its state in registers (with the rare step's call inside, it spilled and
    /// reloaded several values per vector). With <typeparamref name="TUniform"/> (period = W) the
    /// constants are one block, loaded once. With <typeparamref name="TPrefetch"/> it prefetches
    /// the gradients and inputs <see cref="PrefetchDistance"/> elements ahead (the loop is long
    /// enough that the core's own loads keep too few lines in flight to hide the memory latency).
    /// </summary>
    [MethodImpl(EntryPoint)]
    private static nuint PatternRun<TExact, TMulti, TStream, TInPlace, TPrefetch, TUniform>(ref float gt, ref float xt, ref float bt, nuint i, nuint len,
        ref float pattern, nuint period, ref float area, ref byte lanes, ref nuint listB, ref nuint listA, out bool redo)
        where TExact : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
        where TUniform : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        nuint nB = listB, nA = listA;
        ref uint mv = ref Unsafe.Add(ref Unsafe.As<float, uint>(ref Unsafe.Add(ref area, PatternArea.Masks)), i / w);
        ref float patternEnd = ref Unsafe.Add(ref pattern, PatternBlock * period);
        ref float pv = ref BlockAt(ref pattern, i, period);
        TV uMin = TUniform.Value ? S.Load(ref pattern, 0) : default, uMax = TUniform.Value ? S.Load(ref pattern, w) : default;
        TV uChannel = TUniform.Value && TMulti.Value ? S.Load(ref pattern, 3 * w) : default;
        TV low = default, high = default;
        if (TUniform.Value && !TInPlace.Value)
        {
            // d = 1, not in place: two vectors per iteration, one prefetch per 64-byte line of
            // each operand (at 8 lanes; 16 lanes take a line per vector) and one loop test.
            for (; i + (2 * w) <= len; i += 2 * w)
            {
                Prefetch<TPrefetch>(ref gt, i + PrefetchDistance);
                Prefetch<TPrefetch>(ref xt, i + PrefetchDistance);
                if (S.Count > 8)
                {
                    Prefetch<TPrefetch>(ref gt, i + w + PrefetchDistance);
                    Prefetch<TPrefetch>(ref xt, i + w + PrefetchDistance);
                }

                TV g0 = S.Load(ref gt, i), g1 = S.Load(ref gt, i + w);
                if (!TExact.Value)
                {
                    S.TrackMagnitudes(g0, ref low, ref high);
                    S.TrackMagnitudes(g1, ref low, ref high);
                }

                (nB, nA) = PatternVector<TExact, TMulti, TStream, TInPlace>(g0, ref xt, ref bt, i, uMin, uMax, uChannel, ref pv, ref mv, ref area, ref lanes, nB, nA);
                (nB, nA) = PatternVector<TExact, TMulti, TStream, TInPlace>(g1, ref xt, ref bt, i + w, uMin, uMax, uChannel, ref pv, ref mv, ref area, ref lanes, nB, nA);
            }
        }

        for (; i + w <= len; i += w)
        {
            Prefetch<TPrefetch>(ref gt, i + PrefetchDistance);
            Prefetch<TPrefetch>(ref xt, i + PrefetchDistance);
            TV gv = S.Load(ref gt, i);
            if (!TExact.Value)
            {
                if (TInPlace.Value)
                {
                    if (S.AnySmallNonZeroOrNonFinite(gv))
                    {
                        break;
                    }
                }
                else
                {
                    S.TrackMagnitudes(gv, ref low, ref high);
                }
            }

            if (TUniform.Value)
            {
                (nB, nA) = PatternVector<TExact, TMulti, TStream, TInPlace>(gv, ref xt, ref bt, i, uMin, uMax, uChannel, ref pv, ref mv, ref area, ref lanes, nB, nA);
            }
            else
            {
                (nB, nA) = PatternVector<TExact, TMulti, TStream, TInPlace>(gv, ref xt, ref bt, i, S.Load(ref pv, 0), S.Load(ref pv, w),
                    TMulti.Value ? S.Load(ref pv, 3 * w) : default, ref pv, ref mv, ref area, ref lanes, nB, nA);
                pv = ref Unsafe.Add(ref pv, PatternBlock * w);
                if (Unsafe.AreSame(ref pv, ref patternEnd))
                {
                    pv = ref pattern;
                }
            }

            if (TInPlace.Value)
            {
                mv = ref Unsafe.Add(ref mv, 1);
            }
        }

        listB = nB;
        listA = nA;
        redo = !TExact.Value && !TInPlace.Value && S.AnyTrackedSmallNonZeroOrNonFinite(low, high);
        return i;
    }

    /// <summary>
    /// Pass 1 for the vector at tile offset <paramref name="i"/> with gradient <paramref name="gv"/>,
    /// nudged bounds <paramref name="nmin"/>/<paramref name="nmax"/> and channel indices
    /// <paramref name="channels"/> (its constants block at <paramref name="constants"/>, for the
    /// zero-range mask): writes the backprop and (in place) the vector's lane mask, appends the terms to the
    /// lists and returns their new lengths. <typeparamref name="TExact"/>: every flush, listing every
    /// term that is not ±0; otherwise the caller has checked that g is 0 or normal and finite, so no
    /// flush acts, every term is g·1 = g or g·0 = ±0, and the compare masks mark the g·1 lanes:
    /// packing g itself under them lists every nonzero term (plus the ±0 of zero gradients there,
    /// which the chains add in order, see <see cref="ChainPacked"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (nuint Below, nuint Above) PatternVector<TExact, TMulti, TStream, TInPlace>(TV gv, ref float x, ref float bp, nuint i, TV nmin, TV nmax,
        TV channels, ref float constants, ref uint mask, ref float area, ref byte lanes, nuint nB, nuint nA)
        where TExact : struct, IFlag
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
    {
        TV xv = S.Load(ref x, i);
        TV b, below, above;
        uint bitsB, bitsA;
        if (TExact.Value)
        {
            b = Gradient(gv, xv, nmin, nmax, S.Load(ref constants, 2 * (nuint)S.Count), out below, out above);
            bitsB = S.NonZeroBits(below);
            bitsA = S.NonZeroBits(above);
        }
        else
        {
            b = S.Multiply(gv, S.And(S.And(S.LessThanOrEqual(nmin, xv), S.LessThanOrEqual(xv, nmax)), S.Broadcast(1f)));
            bitsB = S.MaskBits(S.LessThan(xv, nmin));
            bitsA = S.MaskBits(S.LessThan(nmax, xv));
            below = gv;
            above = gv;
        }

        Put<TStream>(b, ref bp, i);
        if (TInPlace.Value)
        {
            mask = bitsB | (bitsA << 16);
        }

        return Pack<TMulti>(below, above, channels, bitsB, bitsA, ref area, ref lanes, nB, nA);
    }

    /// <summary><see cref="PatternVector"/>'s exact step for the rare vector with a tiny or non-finite gradient, out of line.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (nuint Below, nuint Above) PatternVectorRare<TMulti, TStream, TInPlace>(ref float g, ref float x, ref float bp, nuint i, ref float constants,
        ref uint mask, ref float area, ref byte lanes, nuint nB, nuint nA)
        where TMulti : struct, IFlag
        where TStream : struct, IFlag
        where TInPlace : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        return PatternVector<Yes, TMulti, TStream, TInPlace>(S.Load(ref g, i), ref x, ref bp, i, S.Load(ref constants, 0), S.Load(ref constants, w),
            TMulti.Value ? S.Load(ref constants, 3 * w) : default, ref constants, ref mask, ref area, ref lanes, nB, nA);
    }

    /// <summary>
    /// Writes entry <paramref name="e"/> of the period's constants blocks, the layout
    /// <see cref="PatternVector"/> reads: per vector of the period, one vector each of nudged min,
    /// nudged max, zero-range mask and channel index (as float bits).
    /// </summary>
    private static void SetConstants(ref float pattern, nuint e, float nudgedMin, float nudgedMax, float zeroRange, nuint channel)
    {
        nuint w = (nuint)S.Count;
        ref float at = ref EntryAt(ref pattern, e);
        at = nudgedMin;
        Unsafe.Add(ref at, w) = nudgedMax;
        Unsafe.Add(ref at, 2 * w) = zeroRange;
        Unsafe.Add(ref at, 3 * w) = BitConverter.Int32BitsToSingle((int)channel);
    }

    /// <summary>Vectors of constants per vector of the period: nudged min, nudged max, zero-range mask, channel.</summary>
    private const int PatternBlock = 4;

    /// <summary>Entry <paramref name="e"/>'s nudged min in <see cref="SetConstants"/>'s layout (its other constants follow W, 2W and 3W floats on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float EntryAt(ref float pattern, nuint e) =>
        ref Unsafe.Add(ref pattern, (e / (nuint)S.Count * PatternBlock * (nuint)S.Count) + (e % (nuint)S.Count));

    /// <summary>
    /// The constants block (<see cref="SetConstants"/>'s layout) of the vector at tile offset
    /// <paramref name="i"/>, a multiple of W: tiles start at entry 0, so it is entry <c>i mod period</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float BlockAt(ref float pattern, nuint i, nuint period) => ref EntryAt(ref pattern, i % period);

    /// <summary>
    /// Appends the lanes <paramref name="bitsB"/> of <paramref name="below"/> to the below list and
    /// <paramref name="bitsA"/> of <paramref name="above"/> to the above list (for d &gt; 1 with their
    /// channels); returns the new lengths.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (nuint Below, nuint Above) Pack<TMulti>(TV below, TV above, TV channels, uint bitsB, uint bitsA, ref float area, ref byte lanes,
        nuint nB, nuint nA)
        where TMulti : struct, IFlag
    {
        if (TMulti.Value)
        {
            S.Compress(channels, bitsB, ref lanes, ref Unsafe.Add(ref area, PatternArea.ChannelsBelow + nB));
            S.Compress(channels, bitsA, ref lanes, ref Unsafe.Add(ref area, PatternArea.ChannelsAbove + nA));
        }

        return (nB + S.Compress(below, bitsB, ref lanes, ref Unsafe.Add(ref area, PatternArea.TermsBelow + nB)),
            nA + S.Compress(above, bitsA, ref lanes, ref Unsafe.Add(ref area, PatternArea.TermsAbove + nA)));
    }

    /// <summary>
    /// Pass 2 of <see cref="PatternTiles"/> for one tile (its first element is channel
    /// <paramref name="first"/>): each list's terms added to their channel's sum in element order, the min and max chains
    /// advanced together (they are independent, so the latency of one add-and-flush overlaps the
    /// other's). Leaving out the unlisted terms, all ±0, is exact except for the sign of a zero
    /// sum: <c>s + ±0 = s</c> for <c>s ≠ 0</c> and <c>±0 + t = t</c> for the listed nonzero terms (never
    /// subnormal), so the packed and the full chain hold the same value at every step or both a
    /// zero; and the only way the two zeros part is the full chain meeting a +0 term while at -0
    /// (-0 + +0 = +0, which the packed chain skips), after which the packed chain holds -0 and the
    /// full one +0 until a nonzero term makes them equal again (a listed ±0 term keeps that pair:
    /// -0 + t and +0 + t are -0, +0 or both +0). So a packed sum ending at +0 is the full chain's,
    /// and one ending at -0 is redone in full (<c>ChainFull</c>: rebuilt in place, recomputed
    /// otherwise). Without <typeparamref name="TFlush"/> (a tile whose every vector took the fast
    /// step) the flushes are left out: each listed term is
    /// then a gradient that is 0 or normal with <c>|g| ≥ 2^-102</c>, and each sum enters the tile
    /// flushed, so by <see cref="GradientStep{TZr}"/>'s argument no sum becomes a nonzero subnormal.
    /// </summary>
    private static void ChainPacked<TMulti, TFlush, TInPlace>(ref float sumMin, ref float sumMax, nuint d, nuint first, nuint len, nuint nB, nuint nA,
        ref float area, ref float gt, ref float xt, ref float bt, nuint period)
        where TMulti : struct, IFlag
        where TFlush : struct, IFlag
        where TInPlace : struct, IFlag
    {
        ref float termsB = ref Unsafe.Add(ref area, PatternArea.TermsBelow);
        ref float termsA = ref Unsafe.Add(ref area, PatternArea.TermsAbove);
        nuint both = Math.Min(nB, nA);
        if (!TMulti.Value)
        {
            float startB = sumMin, startA = sumMax, sB = startB, sA = startA;
            nuint t = 0;
            for (; t < both; t++)
            {
                sB = FlushIf<TFlush>(sB + Unsafe.Add(ref termsB, t));
                sA = FlushIf<TFlush>(sA + Unsafe.Add(ref termsA, t));
            }

            for (nuint u = t; u < nB; u++)
            {
                sB = FlushIf<TFlush>(sB + Unsafe.Add(ref termsB, u));
            }

            for (nuint u = t; u < nA; u++)
            {
                sA = FlushIf<TFlush>(sA + Unsafe.Add(ref termsA, u));
            }

            sumMin = IsNegativeZero(sB) ? ChainFull<TInPlace>(startB, 0, 1, 0, len, false, ref area, ref gt, ref xt, ref bt, period) : sB;
            sumMax = IsNegativeZero(sA) ? ChainFull<TInPlace>(startA, 0, 1, 0, len, true, ref area, ref gt, ref xt, ref bt, period) : sA;
            return;
        }

        ref int channelB = ref Unsafe.As<float, int>(ref Unsafe.Add(ref area, PatternArea.ChannelsBelow));
        ref int channelA = ref Unsafe.As<float, int>(ref Unsafe.Add(ref area, PatternArea.ChannelsAbove));
        Span<float> start = stackalloc float[32];
        for (nuint c = 0; c < d; c++)
        {
            start[(int)c] = Unsafe.Add(ref sumMin, c);
            start[16 + (int)c] = Unsafe.Add(ref sumMax, c);
        }

        nuint i = 0;
        for (; i < both; i++)
        {
            nint cB = Unsafe.Add(ref channelB, i), cA = Unsafe.Add(ref channelA, i);
            Unsafe.Add(ref sumMin, cB) = FlushIf<TFlush>(Unsafe.Add(ref sumMin, cB) + Unsafe.Add(ref termsB, i));
            Unsafe.Add(ref sumMax, cA) = FlushIf<TFlush>(Unsafe.Add(ref sumMax, cA) + Unsafe.Add(ref termsA, i));
        }

        for (nuint u = i; u < nB; u++)
        {
            nint c = Unsafe.Add(ref channelB, u);
            Unsafe.Add(ref sumMin, c) = FlushIf<TFlush>(Unsafe.Add(ref sumMin, c) + Unsafe.Add(ref termsB, u));
        }

        for (nuint u = i; u < nA; u++)
        {
            nint c = Unsafe.Add(ref channelA, u);
            Unsafe.Add(ref sumMax, c) = FlushIf<TFlush>(Unsafe.Add(ref sumMax, c) + Unsafe.Add(ref termsA, u));
        }

        for (nuint c = 0; c < d; c++)
        {
            if (IsNegativeZero(Unsafe.Add(ref sumMin, c)))
            {
                Unsafe.Add(ref sumMin, c) = ChainFull<TInPlace>(start[(int)c], c, d, first, len, false, ref area, ref gt, ref xt, ref bt, period);
            }

            if (IsNegativeZero(Unsafe.Add(ref sumMax, c)))
            {
                Unsafe.Add(ref sumMax, c) = ChainFull<TInPlace>(start[16 + (int)c], c, d, first, len, true, ref area, ref gt, ref xt, ref bt, period);
            }
        }
    }

    /// <summary>
    /// Channel <paramref name="c"/>'s full chain over a tile (of the max sum if <paramref name="above"/>,
    /// else of the min sum), from <paramref name="start"/>, for a packed chain that ended at -0: rebuilt
    /// from the lists and lane masks in place (<see cref="ChainRebuilt"/>), else recomputed from the
    /// tile's gradients and inputs, which the call has not overwritten (<see cref="ChainRecomputed"/>).
    /// </summary>
    private static float ChainFull<TInPlace>(float start, nuint c, nuint d, nuint first, nuint len, bool above, ref float area,
        ref float gt, ref float xt, ref float bt, nuint period)
        where TInPlace : struct, IFlag
    {
        if (!TInPlace.Value)
        {
            return ChainRecomputed(start, c, d, first, len, above, ref gt, ref xt, ref Unsafe.Add(ref area, PatternArea.Constants), period);
        }

        nuint w = (nuint)S.Count;
        return ChainRebuilt(start, c, d, first, len, (len + w - 1) / w, above ? 16 : 0,
            ref Unsafe.Add(ref area, above ? PatternArea.TermsAbove : PatternArea.TermsBelow),
            ref Unsafe.As<float, uint>(ref Unsafe.Add(ref area, PatternArea.Masks)), ref bt, ref Unsafe.Add(ref area, PatternArea.Scratch));
    }

    /// <summary>
    /// Channel <paramref name="c"/>'s full chain over a tile from <paramref name="s"/>, each term
    /// computed again from the element's gradient and input by the scalar element function, as the
    /// reference does (the max sum's terms if <paramref name="above"/>).
    /// </summary>
    private static float ChainRecomputed(float s, nuint c, nuint d, nuint first, nuint len, bool above, ref float gt, ref float xt, ref float pattern,
        nuint period)
    {
        nuint w = (nuint)S.Count;
        for (nuint j = (c + d - first) % d; j < len; j += d)
        {
            ref float p = ref EntryAt(ref pattern, j % period);
            Driver<SimdScalar, float>.Gradient(Unsafe.Add(ref gt, j), Unsafe.Add(ref xt, j), p, Unsafe.Add(ref p, w), Unsafe.Add(ref p, 2 * w),
                out float below, out float aboveTerm);
            s = Subnormals.Flush(s + (above ? aboveTerm : below));
        }

        return s;
    }

    /// <summary>
    /// Channel <paramref name="c"/>'s full chain over a tile, from <paramref name="start"/>, for a
    /// packed chain that ended at -0 in place. The tile's terms are rebuilt in <paramref name="scratch"/>:
    /// the packed ones from the list, at the lanes the vector masks (bits
    /// <paramref name="shift"/> .. shift + 15) give them; every other term is a zero whose sign is
    /// that of the backprop written at its element (both are <c>g·0</c> or <c>g·1</c> of the same
    /// flushed g, a NaN g's term being listed). The backprop is read because the gradient may have
    /// been overwritten by it (in place). A zero-range channel never gets here: its terms are all
    /// +0 (and its backprop a copy of g), and every sum starts at +0, so its sum stays +0.
    /// </summary>
    private static float ChainRebuilt(float start, nuint c, nuint d, nuint first, nuint len, nuint vectors, int shift, ref float terms, ref uint masks,
        ref float bt, ref float scratch)
    {
        nuint c0 = (c + d - first) % d; // the channel's first element in the tile
        for (nuint j = c0; j < len; j += d)
        {
            Unsafe.Add(ref scratch, j) = MathF.CopySign(0f, Unsafe.Add(ref bt, j));
        }

        nuint w = (nuint)S.Count, k = 0;
        for (nuint v = 0; v < vectors; v++)
        {
            for (uint bits = (Unsafe.Add(ref masks, v) >> shift) & 0xFFFF; bits != 0; bits &= bits - 1)
            {
                Unsafe.Add(ref scratch, (v * w) + (nuint)System.Numerics.BitOperations.TrailingZeroCount(bits)) = Unsafe.Add(ref terms, k++);
            }
        }

        return ChainAll(start, ref scratch, c0, len, d);
    }

    /// <summary>The full chain of one channel over a tile's terms (<paramref name="c"/>, c + d, … below <paramref name="len"/>).</summary>
    private static float ChainAll(float s, ref float terms, nuint c, nuint len, nuint d)
    {
        for (nuint j = c; j < len; j += d)
        {
            s = Subnormals.Flush(s + Unsafe.Add(ref terms, j));
        }

        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNegativeZero(float v) => BitConverter.SingleToInt32Bits(v) == int.MinValue;

    /// <summary><see cref="Subnormals.Flush"/> under <typeparamref name="TFlush"/>; the value itself where the caller has shown the flush idle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FlushIf<TFlush>(float v)
        where TFlush : struct, IFlag => TFlush.Value ? Subnormals.Flush(v) : v;

    /// <summary>
    /// Per-channel gradient with the channel on an inner axis (<c>[outer, C, inner]</c>), channels
    /// <c>[c0, c1)</c>, over the rows <c>[r0, r1)</c> of the transposed view
    /// <c>[outer · inner, C]</c> (all of them, or a <see cref="SumTree"/> leaf's). The transposed
    /// view's row order for channel c is (o, i) lexicographic, which is exactly memory order
    /// within the channel's runs: for o = 0.., the run at <c>(o·C + c)·inner</c>, of which the
    /// range takes <c>[max(r0 - o·inner, 0), min(r1 - o·inner, inner))</c>. Each run piece is one
    /// channel's elements in order, i.e. the one-channel pattern gradient: its constants are
    /// broadcast into the area's period block and <see cref="PatternTiles"/> continues the
    /// channel's two sums over it (packed chains). With <typeparamref name="TStream"/> each
    /// piece's backprop is streamed from its first vector-aligned element on, the elements before
    /// it taking exact one-lane steps on the channel's sums (a run's constants are the same in
    /// every lane, so no table is rotated).
    /// </summary>
    /// <typeparam name="TInPlace">The backprop overwrites the gradients or the inputs.</typeparam>
    /// <typeparam name="TPrefetch">Prefetch the gradients and inputs (calls beyond the L3).</typeparam>
    /// <typeparam name="TStream">Streaming stores for the backprop (not in place; the output 4-byte aligned).</typeparam>
    [MethodImpl(EntryPoint)]
    public static unsafe void GradientRuns<TInPlace, TPrefetch, TStream>(ref float g, ref float x, ref float bp, ref float sumMin, ref float sumMax,
        nuint r0, nuint r1, nuint channels, nuint inner, nuint c0, nuint c1, ref float table, ref float area)
        where TInPlace : struct, IFlag
        where TPrefetch : struct, IFlag
        where TStream : struct, IFlag
    {
        nuint w = (nuint)S.Count;
        nuint bytes = w * sizeof(float);
        ref byte lanes = ref PatternArea.LanesFor((r1 - r0) * (c1 - c0), ref area);
        ref float block = ref Unsafe.Add(ref area, PatternArea.Constants);
        for (nuint o = r0 / inner; o * inner < r1; o++)
        {
            nuint lo = Math.Max(r0, o * inner) - (o * inner);
            nuint len = Math.Min(r1 - (o * inner), inner) - lo;
            for (nuint c = c0; c < c1; c++)
            {
                float fMin = Unsafe.Add(ref table, (ChannelTable.NudgedMin * channels) + c);
                float fMax = Unsafe.Add(ref table, (ChannelTable.NudgedMax * channels) + c);
                float fZr = Unsafe.Add(ref table, (ChannelTable.ZeroRange * channels) + c);
                for (nuint lane = 0; lane < w; lane++)
                {
                    SetConstants(ref block, lane, fMin, fMax, fZr, 0); // channel 0 of a one-channel pattern
                }

                nuint runStart = (((o * channels) + c) * inner) + lo;
                ref float sMin = ref Unsafe.Add(ref sumMin, c), sMax = ref Unsafe.Add(ref sumMax, c);
                nuint head = 0;
                if (TStream.Value)
                {
                    nuint misaligned = (nuint)Unsafe.AsPointer(ref Unsafe.Add(ref bp, runStart)) % bytes;
                    head = Math.Min(len, (bytes - misaligned) % bytes / sizeof(float));
                    for (nuint i = runStart; i < runStart + head; i++)
                    {
                        Unsafe.Add(ref bp, i) = Driver<SimdScalar, float>.GradientStep<Yes>(Unsafe.Add(ref g, i), Unsafe.Add(ref x, i), fMin, fMax, fZr,
                            ref sMin, ref sMax);
                    }
                }

                ref float gr = ref Unsafe.Add(ref g, runStart + head);
                ref float xr = ref Unsafe.Add(ref x, runStart + head);
                ref float br = ref Unsafe.Add(ref bp, runStart + head);
                if (BitConverter.SingleToInt32Bits(fZr) != 0)
                {
                    PatternTiles<Yes, No, TStream, TInPlace, TPrefetch>(ref gr, ref xr, ref br, ref sMin, ref sMax, len - head, 1, 0, w, ref area, ref lanes);
                }
                else
                {
                    PatternTiles<No, No, TStream, TInPlace, TPrefetch>(ref gr, ref xr, ref br, ref sMin, ref sMax, len - head, 1, 0, w, ref area, ref lanes);
                }
            }
        }
    }
}
