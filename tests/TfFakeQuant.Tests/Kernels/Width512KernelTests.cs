using NUnit.Framework.Interfaces;
using TfFakeQuant.Kernels.Fast;

namespace TfFakeQuant.Tests.Kernels;

/// <summary>
/// <see cref="FastKernelTests"/> with the kernels built and run for 512-bit vectors
/// (<see cref="FastPath.WidthBits"/>), whatever the machine: without AVX-512, Vector512 runs in
/// software with the same semantics, so the 16-lane drivers (periods, lead alignment to 64 bytes,
/// pairs of 16-lane vectors, the pack's upper mask byte) are checked bitwise here too.
/// </summary>
[TestFixture]
[Category("Kernels")]
[ForcedWidth(512)]
public class Width512KernelTests : FastKernelTests;

/// <summary><see cref="FastKernelTests"/> at 512 bits with every separate output streamed.</summary>
[TestFixture]
[Category("Kernels")]
[ForcedWidth(512)]
[ForcedStreaming]
public class Width512StreamingKernelTests : FastKernelTests;

/// <summary><see cref="FlushEliminationTests"/> at 512 bits.</summary>
[TestFixture]
[Category("Kernels")]
[ForcedWidth(512)]
public class Width512FlushEliminationTests : FlushEliminationTests;

/// <summary>Sets <see cref="FastPath.WidthBits"/> around a fixture and puts it back.</summary>
/// <param name="bits">The width the fixture's kernels run at.</param>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class ForcedWidthAttribute(int bits) : Attribute, ITestAction
{
    private int saved;

    public ActionTargets Targets => ActionTargets.Suite;

    public void BeforeTest(ITest test)
    {
        saved = FastPath.WidthBits;
        FastPath.WidthBits = bits;
    }

    public void AfterTest(ITest test) => FastPath.WidthBits = saved;
}
