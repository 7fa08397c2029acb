using System.Runtime.CompilerServices;

namespace TfFakeQuant.Quantization;

/// <summary>
/// The nudged quantization range of one tensor or one channel, computed exactly as TensorFlow
/// 2.21's CPU kernels compute it (<c>Nudge</c> in <c>fake_quant_ops_functor.h</c>), including
/// the flush-to-zero / denormals-are-zero behaviour of the CPU it runs on.
/// </summary>
/// <remarks>
/// Every step is one float32 operation rounded to nearest even, in TensorFlow's order, with the
/// result flushed (<see cref="Subnormals.Flush"/>):
/// <code>
/// scale     = (max - min) / (qmax - qmin)
/// inv_scale = (qmax - qmin) / (max - min)          (not 1 / scale)
/// zpf       = qmin - min / scale
/// zp        = zpf &lt; qmin ? qmin : zpf &gt; qmax ? qmax : round_half_away_from_zero(zpf)   (NaN → 0)
/// nudged_min = (qmin - zp) * scale;  nudged_max = (qmax - zp) * scale
/// quant_zero = floor(-nudged_min * inv_scale + 0.5)
/// </code>
/// </remarks>
public readonly struct QuantRange
{
    /// <summary>Lower end of the nudged range (a multiple of <see cref="Scale"/>).</summary>
    public float NudgedMin { get; }

    /// <summary>Upper end of the nudged range.</summary>
    public float NudgedMax { get; }

    /// <summary><c>(max - min) / steps</c>. Negative when <c>min &gt; max</c>; may be 0, ±Inf or NaN.</summary>
    public float Scale { get; }

    /// <summary><c>steps / (max - min)</c>, computed separately (not <c>1 / Scale</c>).</summary>
    public float InvScale { get; }

    /// <summary><c>floor(-NudgedMin * InvScale + 0.5)</c>: the zero point as the forward pass uses it.</summary>
    public float QuantZero { get; }

    /// <summary>The integer zero point (in <c>[quant_min, quant_max]</c>, or 0 when it was NaN).</summary>
    public int ZeroPoint { get; }

    /// <summary>
    /// True for TensorFlow's special case <c>min == 0 &amp;&amp; max == 0</c> (either sign, after
    /// flushing subnormals): forward outputs are +0 and gradients pass through unchanged.
    /// </summary>
    public bool IsZeroRange { get; }

    private QuantRange(float nudgedMin, float nudgedMax, float scale, float invScale, float quantZero, int zeroPoint, bool isZeroRange)
    {
        NudgedMin = nudgedMin;
        NudgedMax = nudgedMax;
        Scale = scale;
        InvScale = invScale;
        QuantZero = quantZero;
        ZeroPoint = zeroPoint;
        IsZeroRange = isZeroRange;
    }

    /// <summary>Smallest quantized value: 1 with <paramref name="narrowRange"/>, else 0.</summary>
    /// <param name="narrowRange">TensorFlow's <c>narrow_range</c> attr.</param>
    /// <returns>The lowest integer level.</returns>
    public static int QuantMin(bool narrowRange) => narrowRange ? 1 : 0;

    /// <summary>Largest quantized value, <c>2^numBits - 1</c>.</summary>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <returns>The highest integer level.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> is outside 2..16 (a shift by it would wrap silently).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int QuantMax(int numBits)
    {
        if ((uint)(numBits - 2) > 14u)
        {
            ThrowNumBits(numBits);
        }

        return (1 << numBits) - 1;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNumBits(int numBits) =>
        throw new ArgumentOutOfRangeException(nameof(numBits), numBits, "num_bits must be between 2 and 16, inclusive");

    /// <summary>
    /// Nudges <c>[min, max]</c> so that zero is exactly representable, as TensorFlow does.
    /// </summary>
    /// <param name="min">Range minimum (read with DAZ: a subnormal is a signed zero).</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">When true, the lowest level is 1 instead of 0.</param>
    /// <returns>The nudged range. NaN or infinite bounds give NaN fields, never an exception.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> is outside 2..16.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QuantRange Nudge(float min, float max, int numBits, bool narrowRange)
    {
        min = Subnormals.Flush(min);
        max = Subnormals.Flush(max);
        bool isZeroRange = min == 0f && max == 0f;

        int quantMin = QuantMin(narrowRange);
        int quantMax = QuantMax(numBits);
        float qminf = quantMin;
        float qmaxf = quantMax;
        float steps = qmaxf - qminf; // exact: small integers
        float range = Subnormals.Flush(max - min);
        float scale = Subnormals.Flush(range / steps);
        float invScale = Subnormals.Flush(steps / range);
        float zpf = Subnormals.Flush(qminf - Subnormals.Flush(min / scale));

        int zeroPoint;
        if (zpf < qminf)
        {
            zeroPoint = quantMin;
        }
        else if (zpf > qmaxf)
        {
            zeroPoint = quantMax;
        }
        else if (float.IsNaN(zpf))
        {
            // TensorFlow casts round(NaN) to uint16; on x86 that conversion yields 0, even with
            // narrow_range. .NET's (int)NaN would be int.MinValue, so handle it explicitly.
            zeroPoint = 0;
        }
        else
        {
            zeroPoint = (int)MathF.Round(zpf, MidpointRounding.AwayFromZero);
        }

        float zpF = zeroPoint;
        float nudgedMin = Subnormals.Flush((qminf - zpF) * scale);
        float nudgedMax = Subnormals.Flush((qmaxf - zpF) * scale);
        float quantZero = MathF.Floor(Subnormals.Flush(Subnormals.Flush(-nudgedMin * invScale) + 0.5f));
        return new QuantRange(nudgedMin, nudgedMax, scale, invScale, quantZero, zeroPoint, isZeroRange);
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"[{NudgedMin}, {NudgedMax}] scale={Scale} zp={ZeroPoint}{(IsZeroRange ? " (zero range)" : "")}");
}
