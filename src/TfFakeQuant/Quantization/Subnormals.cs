using System.Runtime.CompilerServices;

namespace TfFakeQuant.Quantization;

/// <summary>
/// Emulation of the x86 <c>MXCSR</c> flush-to-zero (FTZ) and denormals-are-zero (DAZ) modes
/// that TensorFlow's CPU kernels run under.
/// </summary>
/// <remarks>
/// With both flags set, every float operation reads a subnormal operand (|v| &lt; 2^-126) as a
/// zero of the same sign and writes a subnormal result as a zero of the same sign, in arithmetic
/// and in comparisons. .NET cannot set those flags, so the kernels call <see cref="Flush"/> on
/// every value they read and on the result of every float operation that can produce a
/// subnormal. NaN and ±Infinity pass through unchanged.
/// </remarks>
public static class Subnormals
{
    /// <summary>The smallest positive normal float, 2^-126 (1.17549435E-38).</summary>
    public const float SmallestNormal = 1.17549435E-38f;

    /// <summary>
    /// 2^-102. Adding a float of at least this magnitude to a float that is 0 or normal never gives
    /// a nonzero subnormal: such a result would need both operands above 2^-103, i.e. both integer
    /// multiples of 2^-126, and a nonzero multiple of 2^-126 is not subnormal. The fast gradient
    /// path relies on it (<c>Driver.GradientStep</c>).
    /// </summary>
    internal const float GradientSafeMagnitude = 1.97215226E-31f;

    /// <summary>
    /// <c>|v| &lt; 2^-126 ? (v's sign) 0 : v</c>. NaN and ±Infinity are returned unchanged.
    /// </summary>
    /// <param name="value">Any float.</param>
    /// <returns>The value as a CPU with FTZ/DAZ set sees it.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Flush(float value) =>
        MathF.Abs(value) < SmallestNormal ? MathF.CopySign(0f, value) : value;

    /// <summary>True when <paramref name="value"/> is a nonzero subnormal.</summary>
    /// <param name="value">Any float.</param>
    /// <returns>Whether FTZ/DAZ would change the value.</returns>
    public static bool IsSubnormal(float value) => value != 0f && MathF.Abs(value) < SmallestNormal;
}
