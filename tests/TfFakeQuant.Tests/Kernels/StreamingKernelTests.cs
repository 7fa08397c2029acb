using TfFakeQuant.Kernels.Fast;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// <see cref="FastKernelTests"/> again with <see cref="FastPath.StreamThreshold"/> at 0, so every
/// call that writes a separate output takes the streaming paths (aligned lead elements, rotated
/// tables and sums, non-temporal stores) that otherwise only calls of 2^22+ elements take. The
/// results must be the same bits. (A fixture running alongside is unaffected: streaming changes
/// no result.)
/// </summary>
[TestFixture]
[Category("Kernels")]
public class StreamingKernelTests : FastKernelTests
{
    private long saved;

    [OneTimeSetUp]
    public void StreamEverything() => saved = ForcedStreaming.Begin();

    [OneTimeTearDown]
    public void Restore() => ForcedStreaming.End(saved);
}

/// <summary><see cref="FlushEliminationTests"/> with every separate output streamed (see <see cref="StreamingKernelTests"/>).</summary>
[TestFixture]
[Category("Kernels")]
public class StreamingFlushEliminationTests : FlushEliminationTests
{
    private long saved;

    [OneTimeSetUp]
    public void StreamEverything() => saved = ForcedStreaming.Begin();

    [OneTimeTearDown]
    public void Restore() => ForcedStreaming.End(saved);
}

/// <summary>Sets <see cref="FastPath.StreamThreshold"/> to 0 for a fixture and puts it back.</summary>
internal static class ForcedStreaming
{
    public static long Begin()
    {
        long saved = FastPath.StreamThreshold;
        FastPath.StreamThreshold = 0;
        return saved;
    }

    public static void End(long saved) => FastPath.StreamThreshold = saved;
}
