using NUnit.Framework.Interfaces;
using TfFakeQuant.Kernels.Fast;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// <see cref="FastKernelTests"/> again with <see cref="FastPath.StreamThreshold"/> at 0, so every
/// call that writes a separate output takes the streaming paths (aligned lead elements, rotated
/// tables and sums, non-temporal stores) that otherwise only calls of 3 · 2^20+ elements take.
/// The results must be the same bits. (A fixture running alongside is unaffected: streaming
/// changes no result.)
/// </summary>
[TestFixture]
[Category("Kernels")]
[ForcedStreaming]
public class StreamingKernelTests : FastKernelTests;

/// <summary><see cref="FlushEliminationTests"/> with every separate output streamed (see <see cref="StreamingKernelTests"/>).</summary>
[TestFixture]
[Category("Kernels")]
[ForcedStreaming]
public class StreamingFlushEliminationTests : FlushEliminationTests;

/// <summary>
/// Sets <see cref="FastPath.StreamThreshold"/> to 0 around a fixture (as an attribute) or a
/// stretch of a test (<see cref="Begin"/> / <see cref="End"/>), and puts it back.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class ForcedStreamingAttribute : Attribute, ITestAction
{
    private long saved;

    public ActionTargets Targets => ActionTargets.Suite;

    public static long Begin()
    {
        long saved = FastPath.StreamThreshold;
        FastPath.StreamThreshold = 0;
        return saved;
    }

    public static void End(long saved) => FastPath.StreamThreshold = saved;

    public void BeforeTest(ITest test) => saved = Begin();

    public void AfterTest(ITest test) => End(saved);
}

/// <summary>
/// <see cref="AxisTests"/> with every separate output streamed: the inner-axis gradient streams
/// each run from its own first aligned element on (see <see cref="StreamingKernelTests"/>).
/// </summary>
[TestFixture]
[Category("Kernels")]
[ForcedStreaming]
public class StreamingAxisTests : AxisTests;
