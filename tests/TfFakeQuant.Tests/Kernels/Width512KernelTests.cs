using TfFakeQuant.Kernels.Fast;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// <see cref="FastKernelTests"/> with the kernels built and run for 512-bit vectors
/// (<see cref="FastPath.WidthBits"/>), whatever the machine: without AVX-512, Vector512 runs in
/// software with the same semantics, so the 16-lane drivers (periods, lead alignment to 64 bytes,
/// pairs of 16-lane vectors, the compaction's upper mask bytes) are checked bitwise here too.
/// </summary>
[TestFixture]
[Category("Kernels")]
public class Width512KernelTests : FastKernelTests
{
    private int saved;

    [OneTimeSetUp]
    public void Use512() => saved = ForcedWidth.Begin(512);

    [OneTimeTearDown]
    public void Restore() => ForcedWidth.End(saved);
}

/// <summary><see cref="FastKernelTests"/> at 512 bits with every separate output streamed.</summary>
[TestFixture]
[Category("Kernels")]
public class Width512StreamingKernelTests : FastKernelTests
{
    private int savedWidth;
    private long savedThreshold;

    [OneTimeSetUp]
    public void Use512Streaming()
    {
        savedWidth = ForcedWidth.Begin(512);
        savedThreshold = ForcedStreaming.Begin();
    }

    [OneTimeTearDown]
    public void Restore()
    {
        ForcedStreaming.End(savedThreshold);
        ForcedWidth.End(savedWidth);
    }
}

/// <summary><see cref="FlushEliminationTests"/> at 512 bits.</summary>
[TestFixture]
[Category("Kernels")]
public class Width512FlushEliminationTests : FlushEliminationTests
{
    private int saved;

    [OneTimeSetUp]
    public void Use512() => saved = ForcedWidth.Begin(512);

    [OneTimeTearDown]
    public void Restore() => ForcedWidth.End(saved);
}

/// <summary>Sets <see cref="FastPath.WidthBits"/> for a fixture and puts it back.</summary>
internal static class ForcedWidth
{
    public static int Begin(int bits)
    {
        int saved = FastPath.WidthBits;
        FastPath.WidthBits = bits;
        return saved;
    }

    public static void End(int saved) => FastPath.WidthBits = saved;
}
