using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TfFakeQuant.Quantization;
using static TfFakeQuant.Kernels.Fast.SimdConstants;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// The handful of float-vector operations the fast drivers use, as static abstract members so a
/// driver written once (<c>Driver&lt;S, TV&gt;</c>) is specialized by the JIT for each width:
/// <see cref="Simd512"/>, <see cref="Simd256"/>, <see cref="Simd128"/> and <see cref="SimdScalar"/>
/// (one lane, used when no hardware intrinsics are available). The 512-bit drivers are tested on
/// machines without AVX-512 too: the tests force <c>FastPath.WidthBits</c> to 512 and Vector512
/// then runs in software (same semantics; only <see cref="Simd512.LessOf"/> / <see cref="Simd512.GreaterOf"/>
/// take their compare-and-select form there instead of the AVX-512 instruction).
/// </summary>
/// <remarks>
/// Masks are all-ones / all-zeros lanes (IEEE compares: any NaN operand compares false).
/// No operation here fuses a multiply and an add; every arithmetic result is rounded once,
/// exactly like the scalar operation of the same name.
/// </remarks>
/// <typeparam name="TV">The vector type.</typeparam>
internal interface ISimd<TV>
    where TV : struct
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Load(ref float source, nuint index);

    static abstract void Store(TV value, ref float destination, nuint index);

    /// <summary>
    /// A non-temporal store (bypasses the caches, no read for ownership) to a destination aligned
    /// to the vector size, in pinned memory. The scalar lane stores normally.
    /// </summary>
    static abstract void StoreStream(TV value, ref float destination, nuint index);

    static abstract TV Broadcast(float value);

    static abstract TV Add(TV a, TV b);

    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    static abstract TV Floor(TV v);

    /// <summary>Mask of <c>a &lt; b</c>.</summary>
    static abstract TV LessThan(TV a, TV b);

    /// <summary>Mask of <c>a &lt;= b</c>.</summary>
    static abstract TV LessThanOrEqual(TV a, TV b);

    static abstract TV And(TV a, TV b);

    /// <summary><c>a &amp; ~b</c>.</summary>
    static abstract TV AndNot(TV a, TV b);

    /// <summary><c>mask ? ifTrue : ifFalse</c> per lane (bitwise).</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);

    /// <summary>
    /// <c>a &lt; b ? a : b</c> per lane, exactly (so a NaN or a ±0 tie gives <c>b</c>). This is the
    /// x86 <c>minps a, b</c> instruction, one operation instead of compare + select; elsewhere it
    /// is the compare + select.
    /// </summary>
    static abstract TV LessOf(TV a, TV b);

    /// <summary><c>a &gt; b ? a : b</c> per lane, exactly (x86 <c>maxps a, b</c>).</summary>
    static abstract TV GreaterOf(TV a, TV b);

    /// <summary>
    /// Whether some lane holds a value with <c>0 &lt; |v| &lt; 2^-102</c> (subnormals included; NaN
    /// and ±0 excluded): the lanes for which the gradient's flushes may act (see
    /// <c>Driver.GradientStep</c>). Vector form, on the magnitude bits m (0 ≤ m &lt; 2^31): adding
    /// 2^31 - 1 (wrapping) sends m = 0 to int.MaxValue and m ≥ 1 to int.MinValue + m - 1, so one
    /// signed compare against <c>int.MinValue + bits(2^-102) - 1</c> tests <c>1 ≤ m &lt; bits(2^-102)</c>.
    /// </summary>
    static abstract bool AnySmallNonZero(TV v);

    /// <summary><see cref="AnySmallNonZero(TV)"/> of two vectors with one test.</summary>
    static abstract bool AnySmallNonZero(TV a, TV b);

    /// <summary>Whether some lane is a small nonzero (as <see cref="AnySmallNonZero(TV)"/>), ±Infinity or NaN.</summary>
    static abstract bool AnySmallNonZeroOrNonFinite(TV v);

    /// <summary>
    /// Folds the magnitude bits m of <paramref name="v"/> into a running record, for
    /// <see cref="AnyTrackedSmallNonZeroOrNonFinite"/> to answer <see cref="AnySmallNonZeroOrNonFinite(TV)"/>
    /// for every vector folded in, after a loop, with no test in it: per lane,
    /// <paramref name="low"/> = signed min of m + 2^31 - 1 (wrapping, as in
    /// <see cref="AnySmallNonZero(TV)"/>: small nonzeros give the least keys, zero the greatest) and
    /// <paramref name="high"/> = signed max of m (±Infinity and NaN give the greatest). Both start
    /// at all zero bits, which neither test reports. Four integer operations, no compare or branch.
    /// </summary>
    static abstract void TrackMagnitudes(TV v, ref TV low, ref TV high);

    /// <summary>Whether a record of <see cref="TrackMagnitudes"/> holds a small nonzero, ±Infinity or NaN.</summary>
    static abstract bool AnyTrackedSmallNonZeroOrNonFinite(TV low, TV high);

    /// <summary>Bit i set when lane i of the mask is set (its sign bit).</summary>
    static abstract uint MaskBits(TV mask);

    /// <summary>
    /// FTZ/DAZ emulation, <see cref="Subnormals.Flush"/> per lane:
    /// <c>|v| &lt; 2^-126 ? copysign(0, v) : v</c>. Vector form: <c>tiny = abs(v) &lt; 2^-126</c>
    /// (false for NaN), then <c>v &amp; ~(tiny &amp; 0x7FFFFFFF)</c> clears the magnitude bits of tiny
    /// lanes and keeps their sign bit — exactly copysign(0, v).
    /// </summary>
    static abstract TV Flush(TV v);

    /// <summary>Bit i set when lane i is not ±0 (NaN lanes count as nonzero).</summary>
    static abstract uint NonZeroBits(TV v);

    /// <summary>
    /// Left-packs <paramref name="values"/>: the lanes whose bit is set in <paramref name="bits"/>
    /// go, in lane order, to <paramref name="destination"/>[0 ..]; returns how many. All W floats
    /// at the destination are written (those past the packed ones hold leftovers), so it needs W
    /// floats of room. Lanes are moved as bits, so it packs channel indices stored as float bits
    /// too. <paramref name="lanes"/> is <see cref="PackIndex.Lanes"/>'s first element (or its copy
    /// in a stack area), passed in so that the hot loops read the table without a static-field
    /// access; it must not move (the table is pinned), as the row is read through a pointer
    /// (<c>vpmovzxbd</c>, which widens the row's byte indices as it loads them).
    /// </summary>
    static abstract nuint Compress(TV values, uint bits, ref byte lanes, ref float destination);

    /// <summary>
    /// Lane j of the result is <paramref name="values"/>[<c>lanes_j mod W</c>], or −0 where
    /// <c>lanes_j</c> (the float's bits as an int) is negative. Adding −0 leaves every float as it
    /// is (−0 + −0 = −0, +0 + −0 = +0), so a lane filled with it is a lane left out of a sum.
    /// One <c>vpermps</c> (128 bits: <c>vpermilps</c>) and one <c>vblendvps</c> keyed on the index's sign bit.
    /// </summary>
    static abstract TV Pick(TV values, TV lanes);

    /// <summary>Lane j of the result is <paramref name="values"/>[<c>lanes_j mod W</c>] (<see cref="Pick"/> without the −0 fill): one <c>vpermps</c>.</summary>
    static abstract TV Permute(TV values, TV lanes);
}

/// <summary>Shared constants of the lane operations.</summary>
internal static class SimdConstants
{
    /// <summary>The bound of <see cref="ISimd{TV}.AnySmallNonZero(TV)"/>'s signed compare: int.MinValue + bits(2^-102) - 1.</summary>
    public const int SmallMagnitudeLimit = int.MinValue + 0x0C800000 - 1;

    /// <summary>The bits of float.MaxValue: magnitudes above it are ±Infinity or NaN.</summary>
    public const int LargestFiniteBits = 0x7F7FFFFF;
}

/// <summary>A compile-time switch for the drivers: the JIT folds <see cref="Value"/> and drops the dead branch.</summary>
internal interface IFlag
{
    static abstract bool Value { get; }
}

/// <summary>The switch is on.</summary>
internal readonly struct Yes : IFlag
{
    public static bool Value => true;
}

/// <summary>The switch is off.</summary>
internal readonly struct No : IFlag
{
    public static bool Value => false;
}

/// <summary>512-bit lanes (16 floats).</summary>
internal readonly struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStream(Vector512<float> value, ref float destination, nuint index) =>
        value.StoreAlignedNonTemporal((float*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Floor(Vector512<float> v) => Vector512.Floor(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) =>
        Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessOf(Vector512<float> a, Vector512<float> b) =>
        Avx512F.IsSupported ? Avx512F.Min(a, b) : Vector512.ConditionalSelect(Vector512.LessThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterOf(Vector512<float> a, Vector512<float> b) =>
        Avx512F.IsSupported ? Avx512F.Max(a, b) : Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector512<float> v) => SmallLanes(v) != Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZeroOrNonFinite(Vector512<float> v) =>
        (SmallLanes(v) | Vector512.GreaterThan(v.AsInt32() & Vector512.Create(int.MaxValue), Vector512.Create(LargestFiniteBits))) != Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Vector512<float> mask) => (uint)Vector512.ExtractMostSignificantBits(mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TrackMagnitudes(Vector512<float> v, ref Vector512<float> low, ref Vector512<float> high)
    {
        Vector512<int> magnitude = v.AsInt32() & Vector512.Create(int.MaxValue);
        low = Vector512.Min(low.AsInt32(), magnitude + Vector512.Create(int.MaxValue)).AsSingle();
        high = Vector512.Max(high.AsInt32(), magnitude).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyTrackedSmallNonZeroOrNonFinite(Vector512<float> low, Vector512<float> high) =>
        (Vector512.LessThan(low.AsInt32(), Vector512.Create(SmallMagnitudeLimit))
            | Vector512.GreaterThan(high.AsInt32(), Vector512.Create(LargestFiniteBits))) != Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector512<float> a, Vector512<float> b) => (SmallLanes(a) | SmallLanes(b)) != Vector512<int>.Zero;

    /// <summary>
    /// All-ones lanes where <c>0 &lt; |v| &lt; 2^-102</c>, in the integer form of
    /// <see cref="ISimd{TV}.AnySmallNonZero(TV)"/>: |v| bits + (2^31 - 1) maps 0 to int.MaxValue and
    /// 1.. to int.MinValue + (bits - 1), so one signed compare tests the range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> SmallLanes(Vector512<float> v)
    {
        Vector512<int> magnitude = Vector512.Create(int.MaxValue);
        return Vector512.LessThan((v.AsInt32() & magnitude) + magnitude, Vector512.Create(SmallMagnitudeLimit));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Flush(Vector512<float> v)
    {
        Vector512<float> magnitude = Vector512.Create(0x7FFFFFFF).AsSingle();
        Vector512<float> tiny = Vector512.LessThan(v & magnitude, Vector512.Create(Subnormals.SmallestNormal));
        return Vector512.AndNot(v, tiny & magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroBits(Vector512<float> v) =>
        (uint)(~Vector512.Equals(v, Vector512<float>.Zero).ExtractMostSignificantBits() & ((1UL << Vector512<float>.Count) - 1));

    /// <summary>Two 8-lane packs, the upper half's right after the lower half's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Compress(Vector512<float> values, uint bits, ref byte lanes, ref float destination)
    {
        nuint low = Simd256.Compress(values.GetLower(), bits & 0xFF, ref lanes, ref destination);
        return low + Simd256.Compress(values.GetUpper(), (bits >> 8) & 0xFF, ref lanes, ref Unsafe.Add(ref destination, low));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pick(Vector512<float> values, Vector512<float> lanes) =>
        Vector512.ConditionalSelect(Vector512.LessThan(lanes.AsInt32(), Vector512<int>.Zero).AsSingle(), Vector512.Create(-0f), Permute(values, lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Permute(Vector512<float> values, Vector512<float> lanes) =>
        Avx512F.IsSupported
            ? Avx512F.PermuteVar16x32(values, lanes.AsInt32())
            : Vector512.Shuffle(values, lanes.AsInt32() & Vector512.Create(Vector512<float>.Count - 1));
}

/// <summary>256-bit lanes (8 floats).</summary>
internal readonly struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStream(Vector256<float> value, ref float destination, nuint index) =>
        value.StoreAlignedNonTemporal((float*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Floor(Vector256<float> v) => Vector256.Floor(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) =>
        Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessOf(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Avx.Min(a, b) : Vector256.ConditionalSelect(Vector256.LessThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterOf(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Avx.Max(a, b) : Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector256<float> v) => SmallLanes(v) != Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZeroOrNonFinite(Vector256<float> v) =>
        (SmallLanes(v) | Vector256.GreaterThan(v.AsInt32() & Vector256.Create(int.MaxValue), Vector256.Create(LargestFiniteBits))) != Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Vector256<float> mask) => (uint)Vector256.ExtractMostSignificantBits(mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TrackMagnitudes(Vector256<float> v, ref Vector256<float> low, ref Vector256<float> high)
    {
        Vector256<int> magnitude = v.AsInt32() & Vector256.Create(int.MaxValue);
        low = Vector256.Min(low.AsInt32(), magnitude + Vector256.Create(int.MaxValue)).AsSingle();
        high = Vector256.Max(high.AsInt32(), magnitude).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyTrackedSmallNonZeroOrNonFinite(Vector256<float> low, Vector256<float> high) =>
        (Vector256.LessThan(low.AsInt32(), Vector256.Create(SmallMagnitudeLimit))
            | Vector256.GreaterThan(high.AsInt32(), Vector256.Create(LargestFiniteBits))) != Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector256<float> a, Vector256<float> b) => (SmallLanes(a) | SmallLanes(b)) != Vector256<int>.Zero;

    /// <summary>
    /// All-ones lanes where <c>0 &lt; |v| &lt; 2^-102</c>, in the integer form of
    /// <see cref="ISimd{TV}.AnySmallNonZero(TV)"/>: |v| bits + (2^31 - 1) maps 0 to int.MaxValue and
    /// 1.. to int.MinValue + (bits - 1), so one signed compare tests the range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SmallLanes(Vector256<float> v)
    {
        Vector256<int> magnitude = Vector256.Create(int.MaxValue);
        return Vector256.LessThan((v.AsInt32() & magnitude) + magnitude, Vector256.Create(SmallMagnitudeLimit));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Flush(Vector256<float> v)
    {
        Vector256<float> magnitude = Vector256.Create(0x7FFFFFFF).AsSingle();
        Vector256<float> tiny = Vector256.LessThan(v & magnitude, Vector256.Create(Subnormals.SmallestNormal));
        return Vector256.AndNot(v, tiny & magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroBits(Vector256<float> v) =>
        (uint)(~Vector256.Equals(v, Vector256<float>.Zero).ExtractMostSignificantBits() & ((1UL << Vector256<float>.Count) - 1));

    /// <summary>One <c>vpermps</c> with the lane list of the 8-bit mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nuint Compress(Vector256<float> values, uint bits, ref byte lanes, ref float destination)
    {
        if (Avx2.IsSupported)
        {
            Avx2.PermuteVar8x32(values, Avx2.ConvertToVector256Int32((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref lanes, (nuint)bits * 8)))).StoreUnsafe(ref destination);
            return (nuint)BitOperations.PopCount(bits);
        }

        return PackIndex.ByLane(values, bits, ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pick(Vector256<float> values, Vector256<float> lanes) =>
        Avx.IsSupported
            ? Avx.BlendVariable(Permute(values, lanes), Vector256.Create(-0f), lanes)
            : Vector256.ConditionalSelect(Vector256.LessThan(lanes.AsInt32(), Vector256<int>.Zero).AsSingle(), Vector256.Create(-0f), Permute(values, lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Permute(Vector256<float> values, Vector256<float> lanes) =>
        Avx2.IsSupported
            ? Avx2.PermuteVar8x32(values, lanes.AsInt32())
            : Vector256.Shuffle(values, lanes.AsInt32() & Vector256.Create(Vector256<float>.Count - 1));
}

/// <summary>128-bit lanes (4 floats).</summary>
internal readonly struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreStream(Vector128<float> value, ref float destination, nuint index) =>
        value.StoreAlignedNonTemporal((float*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Floor(Vector128<float> v) => Vector128.Floor(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) =>
        Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessOf(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Min(a, b) : Vector128.ConditionalSelect(Vector128.LessThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GreaterOf(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Max(a, b) : Vector128.ConditionalSelect(Vector128.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector128<float> v) => SmallLanes(v) != Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZeroOrNonFinite(Vector128<float> v) =>
        (SmallLanes(v) | Vector128.GreaterThan(v.AsInt32() & Vector128.Create(int.MaxValue), Vector128.Create(LargestFiniteBits))) != Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(Vector128<float> mask) => (uint)Vector128.ExtractMostSignificantBits(mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TrackMagnitudes(Vector128<float> v, ref Vector128<float> low, ref Vector128<float> high)
    {
        Vector128<int> magnitude = v.AsInt32() & Vector128.Create(int.MaxValue);
        low = Vector128.Min(low.AsInt32(), magnitude + Vector128.Create(int.MaxValue)).AsSingle();
        high = Vector128.Max(high.AsInt32(), magnitude).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyTrackedSmallNonZeroOrNonFinite(Vector128<float> low, Vector128<float> high) =>
        (Vector128.LessThan(low.AsInt32(), Vector128.Create(SmallMagnitudeLimit))
            | Vector128.GreaterThan(high.AsInt32(), Vector128.Create(LargestFiniteBits))) != Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(Vector128<float> a, Vector128<float> b) => (SmallLanes(a) | SmallLanes(b)) != Vector128<int>.Zero;

    /// <summary>
    /// All-ones lanes where <c>0 &lt; |v| &lt; 2^-102</c>, in the integer form of
    /// <see cref="ISimd{TV}.AnySmallNonZero(TV)"/>: |v| bits + (2^31 - 1) maps 0 to int.MaxValue and
    /// 1.. to int.MinValue + (bits - 1), so one signed compare tests the range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SmallLanes(Vector128<float> v)
    {
        Vector128<int> magnitude = Vector128.Create(int.MaxValue);
        return Vector128.LessThan((v.AsInt32() & magnitude) + magnitude, Vector128.Create(SmallMagnitudeLimit));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Flush(Vector128<float> v)
    {
        Vector128<float> magnitude = Vector128.Create(0x7FFFFFFF).AsSingle();
        Vector128<float> tiny = Vector128.LessThan(v & magnitude, Vector128.Create(Subnormals.SmallestNormal));
        return Vector128.AndNot(v, tiny & magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroBits(Vector128<float> v) =>
        (uint)(~Vector128.Equals(v, Vector128<float>.Zero).ExtractMostSignificantBits() & ((1UL << Vector128<float>.Count) - 1));

    /// <summary>One <c>vpermilps</c> with the first four entries of the 4-bit mask's lane list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nuint Compress(Vector128<float> values, uint bits, ref byte lanes, ref float destination)
    {
        if (Avx.IsSupported)
        {
            Avx.PermuteVar(values, Sse41.ConvertToVector128Int32((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref lanes, (nuint)bits * 8)))).StoreUnsafe(ref destination);
            return (nuint)BitOperations.PopCount(bits);
        }

        return PackIndex.ByLane(values, bits, ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pick(Vector128<float> values, Vector128<float> lanes) =>
        Sse41.IsSupported
            ? Sse41.BlendVariable(Permute(values, lanes), Vector128.Create(-0f), lanes)
            : Vector128.ConditionalSelect(Vector128.LessThan(lanes.AsInt32(), Vector128<int>.Zero).AsSingle(), Vector128.Create(-0f), Permute(values, lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Permute(Vector128<float> values, Vector128<float> lanes) =>
        Avx.IsSupported
            ? Avx.PermuteVar(values, lanes.AsInt32())
            : Vector128.Shuffle(values, lanes.AsInt32() & Vector128.Create(Vector128<float>.Count - 1));
}

/// <summary>
/// One lane: the drivers run unchanged with plain floats when no hardware intrinsics are
/// available (<c>DOTNET_EnableHWIntrinsic=0</c>). Masks are floats whose bits are all ones
/// (a NaN pattern, only ever used bitwise) or all zeros.
/// </summary>
internal readonly struct SimdScalar : ISimd<float>
{
    private const int AllOnes = -1;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float source, nuint index) => Unsafe.Add(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStream(float value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float a, float b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float a, float b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Floor(float v) => MathF.Floor(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LessThan(float a, float b) => Mask(a < b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LessThanOrEqual(float a, float b) => Mask(a <= b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float And(float a, float b) => Bits(Raw(a) & Raw(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float AndNot(float a, float b) => Bits(Raw(a) & ~Raw(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Select(float mask, float ifTrue, float ifFalse) => Raw(mask) != 0 ? ifTrue : ifFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LessOf(float a, float b) => a < b ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GreaterOf(float a, float b) => a > b ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(float v)
    {
        float abs = MathF.Abs(v);
        return abs < Subnormals.GradientSafeMagnitude && abs > 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZero(float a, float b) => AnySmallNonZero(a) || AnySmallNonZero(b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnySmallNonZeroOrNonFinite(float v) => AnySmallNonZero(v) || !float.IsFinite(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint MaskBits(float mask) => Raw(mask) < 0 ? 1u : 0u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TrackMagnitudes(float v, ref float low, ref float high)
    {
        int magnitude = Raw(v) & int.MaxValue;
        low = Bits(Math.Min(Raw(low), unchecked(magnitude + int.MaxValue)));
        high = Bits(Math.Max(Raw(high), magnitude));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyTrackedSmallNonZeroOrNonFinite(float low, float high) =>
        Raw(low) < SmallMagnitudeLimit || Raw(high) > LargestFiniteBits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Flush(float v) => Subnormals.Flush(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonZeroBits(float v) => v != 0f ? 1u : 0u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Compress(float values, uint bits, ref byte lanes, ref float destination)
    {
        destination = values;
        return bits & 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Pick(float values, float lanes) => Raw(lanes) < 0 ? -0f : values;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Permute(float values, float lanes) => values;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Mask(bool b) => Bits(b ? AllOnes : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Raw(float f) => BitConverter.SingleToInt32Bits(f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bits(int i) => BitConverter.Int32BitsToSingle(i);
}

/// <summary>The permutation table of <see cref="ISimd{TV}.Compress"/>.</summary>
internal static class PackIndex
{
    /// <summary>
    /// For each byte mask m, at <c>8·m</c>: the indices of m's set bits in ascending order, then
    /// zeros, one byte each (2 KiB, pinned: <see cref="ISimd{TV}.Compress"/> reads it through a
    /// pointer). A 4-bit mask's list is the first four entries of the same row. Bytes rather than
    /// ints since the fourth session (the widening load costs no more than the plain one): the
    /// table takes a quarter of the cache and its per-call copy (<see cref="PatternArea.LanesFor"/>)
    /// a quarter of the time — a cached 16K-element d = 1 gradient 9.45 → 8.49 µs.
    /// </summary>
    public static readonly byte[] Lanes = Build();

    /// <summary>The lane-by-lane pack, for machines without the permute instruction.</summary>
    public static nuint ByLane<TV>(TV values, uint bits, ref float destination)
        where TV : struct
    {
        nuint count = 0;
        ref float lanes = ref Unsafe.As<TV, float>(ref values);
        for (int lane = 0; lane < Unsafe.SizeOf<TV>() / sizeof(float); lane++)
        {
            Unsafe.Add(ref destination, count) = Unsafe.Add(ref lanes, lane);
            count += (bits >> lane) & 1;
        }

        return count;
    }

    private static byte[] Build()
    {
        byte[] table = GC.AllocateArray<byte>(256 * 8, pinned: true);
        for (int mask = 0; mask < 256; mask++)
        {
            int k = 0;
            for (int lane = 0; lane < 8; lane++)
            {
                if ((mask & (1 << lane)) != 0)
                {
                    table[(mask * 8) + k++] = (byte)lane;
                }
            }
        }

        return table;
    }
}
