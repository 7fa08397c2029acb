using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TfFakeQuant.Kernels.Fast;

/// <summary>
/// The stack work area of <see cref="Driver{S, TV}.GradientPattern"/> and
/// <see cref="Driver{S, TV}.GradientRuns"/>, in floats from a 4 KiB-aligned start, laid out
/// against 4K aliasing. In its loop the driver loads from a few
/// fixed addresses (the pack table's rows for masks of zero to two bits, the period's constants)
/// while its stores crawl slowly through the mask array (in place) and the term lists, a few bytes per
/// vector, restarting at every tile. A load whose address agrees with an older in-flight store in
/// bits 0..11 waits for that store, so wherever a crawling region sat on the page offsets of
/// the hot loads, every vector of those stretches stalled: the same call measured 49 or 75 µs on
/// cached data depending only on where the stack put the buffers. Here the table (8-byte rows
/// since the fourth session) has its hottest rows, masks of no or one bit, at page offsets 0, 8,
/// 16, 32, …, 1024 (+8), the two-bit rows between them and up to 1536, the constants at 160
/// (+period · 16 bytes; they were laid out around the old 32-byte rows, which put the hot ones
/// at 0-160, 256, 512, 1024 and 2048), and the crawling regions start at page offsets 1088
/// (masks, in place only), 2112 (below lists) and 3136 (above lists), clear of the hottest rows
/// for tiles with up to ~20 % of their terms listed.
/// </summary>
internal static class PatternArea
{
    /// <summary>Bytes per page: the aliasing period and the area's alignment.</summary>
    public const int PageBytes = 4096;

    /// <summary>The tile size of the driver (elements).</summary>
    public const int Tile = Driver<SimdScalar, float>.Tile;

    /// <summary>One list's length: a tile, plus the overrun of the last pack.</summary>
    public const int ListLength = Tile + 16;

    /// <summary><see cref="PackIndex.Lanes"/>, copied here per call (2 KiB at the start of pages 0-1).</summary>
    public const int Lanes = 0;

    /// <summary>One uint of lane bits per vector of a tile (pages 2-4).</summary>
    public const int Masks = ((2 * PageBytes) + 1088) / sizeof(float);

    /// <summary>The below terms (pages 5-7).</summary>
    public const int TermsBelow = ((5 * PageBytes) + 2112) / sizeof(float);

    /// <summary>The above terms (pages 7-9).</summary>
    public const int TermsAbove = ((7 * PageBytes) + 3136) / sizeof(float);

    /// <summary>The below terms' channels, d &gt; 1 (pages 10-12).</summary>
    public const int ChannelsBelow = ((10 * PageBytes) + 2112) / sizeof(float);

    /// <summary>The above terms' channels (pages 12-14).</summary>
    public const int ChannelsAbove = ((12 * PageBytes) + 3136) / sizeof(float);

    /// <summary>The period's constants: 4 vectors per vector of the period, period ≤ 15 · 16 (page 15).</summary>
    public const int Constants = ((15 * PageBytes) + 160) / sizeof(float);

    /// <summary>A tile of rebuilt terms for the rare -0 sums (pages 16-17).</summary>
    public const int Scratch = (16 * PageBytes) / sizeof(float);

    /// <summary>Floats of the area (72 KiB).</summary>
    public const int Length = Scratch + Tile;

    /// <summary>Floats to stack-allocate for an area: its length plus a page to align it.</summary>
    public const int Allocation = Length + (PageBytes / sizeof(float));

    /// <summary>The area inside <paramref name="raw"/> (<see cref="Allocation"/> floats): its first 4 KiB boundary.</summary>
    public static unsafe float* Align(float* raw) => (float*)(((nuint)raw + PageBytes - 1) & ~(nuint)(PageBytes - 1));

    /// <summary>
    /// The pack table for a call over <paramref name="elements"/> elements: from
    /// <see cref="LanesCopyThreshold"/> on, a copy at the area's start (placed against aliasing);
    /// below it, <see cref="PackIndex.Lanes"/> itself, as the copy would cost more than it saves.
    /// </summary>
    public static ref byte LanesFor(nuint elements, ref float area)
    {
        ref byte table = ref MemoryMarshal.GetArrayDataReference(PackIndex.Lanes);
        if (elements < LanesCopyThreshold)
        {
            return ref table;
        }

        ref byte copy = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref area, Lanes));
        Unsafe.CopyBlockUnaligned(ref copy, ref table, (uint)PackIndex.Lanes.Length);
        return ref copy;
    }

    /// <summary>
    /// Elements from which <see cref="LanesFor"/> copies the table: a few tiles, where a copy costs
    /// a few percent at most (a 64-element VarsGradient took 0.6 µs with the 8 KiB copy of the
    /// former int table, 0.2 µs without).
    /// </summary>
    public const nuint LanesCopyThreshold = 4 * Tile;
}
