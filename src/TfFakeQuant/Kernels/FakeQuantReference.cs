using System.Runtime.CompilerServices;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Kernels;

/// <summary>
/// Scalar reference kernels for the six TensorFlow fake-quant ops: one element at a time, every
/// float operation flushed (FTZ/DAZ emulation), reductions in <see cref="SumTree"/> order (row order up to 2^18 elements). They are written to
/// read like the specification and are the oracle every fast path is tested against.
/// </summary>
/// <remarks>
/// Arguments are checked by <see cref="FakeQuant"/>'s public entry points; these methods only
/// check what memory safety needs (lengths) and that <c>numBits</c> is 2..16 (in
/// <see cref="QuantRange.Nudge"/>, so it never wraps silently), so they can be called by tests and
/// benchmarks directly. Indices stay within <c>int</c> for any span length. Per-channel data is a row-major <c>[rows, channels]</c> matrix, the channel the
/// last dimension, <c>channels = min.Length</c>.
/// </remarks>
public static class FakeQuantReference
{
    /// <summary>One forward element: clamp, shift, scale, round, rescale (Args and PerChannel: multiply by inv_scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float QuantizeMultiply(float x, in QuantRange q)
    {
        float c = Clamp(Subnormals.Flush(x), q.NudgedMin, q.NudgedMax);
        float u = Subnormals.Flush(Subnormals.Flush(c - q.NudgedMin) * q.InvScale);
        return Round(u, q);
    }

    /// <summary>One forward element of the per-tensor Vars op: divides by scale instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float QuantizeDivide(float x, in QuantRange q)
    {
        float c = Clamp(Subnormals.Flush(x), q.NudgedMin, q.NudgedMax);
        float u = Subnormals.Flush(Subnormals.Flush(c - q.NudgedMin) / q.Scale);
        return Round(u, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Round(float u, in QuantRange q)
    {
        float shifted = Subnormals.Flush(Subnormals.Flush(u - q.QuantZero) + 0.5f);
        return Subnormals.Flush(MathF.Floor(shifted) * q.Scale);
    }

    /// <summary>
    /// Eigen's <c>cwiseMin(hi).cwiseMax(lo)</c>: <c>min(x, hi)</c> then <c>max(., lo)</c>; a NaN
    /// <paramref name="x"/> stays NaN; with <c>lo &gt; hi</c> the result is <c>lo</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Clamp(float x, float lo, float hi)
    {
        float t = hi < x ? hi : x;
        return t < lo ? lo : t;
    }

    /// <summary>FakeQuantWithMinMaxArgs: per-tensor forward with attr range.</summary>
    /// <param name="inputs">Input values.</param>
    /// <param name="min">Range minimum attr (caller checked <c>min &lt; max</c>).</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Same length as <paramref name="inputs"/>; may be the same memory.</param>
    public static void Args(ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        QuantRange q = QuantRange.Nudge(min, max, numBits, narrowRange);
        for (int i = 0; i < inputs.Length; i++)
        {
            outputs[i] = QuantizeMultiply(inputs[i], q);
        }
    }

    /// <summary>FakeQuantWithMinMaxArgsGradient: <c>backprops = g * (nudged_min &lt;= x &lt;= nudged_max)</c>.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backprops">Same length; may be the memory of <paramref name="gradients"/>.</param>
    public static void ArgsGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> backprops)
    {
        SpanGuard.SameLength(gradients.Length, inputs.Length, nameof(inputs));
        SpanGuard.SameLength(gradients.Length, backprops.Length, nameof(backprops));
        QuantRange q = QuantRange.Nudge(min, max, numBits, narrowRange);
        for (int i = 0; i < gradients.Length; i++)
        {
            float x = Subnormals.Flush(inputs[i]);
            float inside = x >= q.NudgedMin && x <= q.NudgedMax ? 1f : 0f;
            backprops[i] = Subnormals.Flush(gradients[i]) * inside;
        }
    }

    /// <summary>FakeQuantWithMinMaxVars: per-tensor forward with scalar min/max (divides by scale).</summary>
    /// <param name="inputs">Input values.</param>
    /// <param name="min">Range minimum.</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Same length as <paramref name="inputs"/>; may be the same memory.</param>
    public static void Vars(ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        QuantRange q = QuantRange.Nudge(min, max, numBits, narrowRange);
        if (q.IsZeroRange)
        {
            outputs[..inputs.Length].Clear();
            return;
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            outputs[i] = QuantizeDivide(inputs[i], q);
        }
    }

    /// <summary>FakeQuantWithMinMaxVarsGradient: input backprop and the two scalar range gradients.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length.</param>
    /// <param name="min">Range minimum.</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backpropsWrtInput">Same length; may be the memory of <paramref name="gradients"/>.</param>
    /// <param name="backpropWrtMin">Sum of <c>g</c> over elements below the nudged range, in <see cref="SumTree"/> order (element order up to 2^18 elements).</param>
    /// <param name="backpropWrtMax">Sum of <c>g</c> over elements above the nudged range.</param>
    public static void VarsGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange,
        Span<float> backpropsWrtInput, out float backpropWrtMin, out float backpropWrtMax)
    {
        SpanGuard.SameLength(gradients.Length, inputs.Length, nameof(inputs));
        SpanGuard.SameLength(gradients.Length, backpropsWrtInput.Length, nameof(backpropsWrtInput));
        QuantRange q = QuantRange.Nudge(min, max, numBits, narrowRange);
        Span<float> sumMin = stackalloc float[1], sumMax = stackalloc float[1];
        TreeGradient(gradients, inputs, [q], backpropsWrtInput, sumMin, sumMax, 0, SumTree.Units(gradients.Length), gradients.Length);
        backpropWrtMin = sumMin[0];
        backpropWrtMax = sumMax[0];
    }

    /// <summary>FakeQuantWithMinMaxVarsPerChannel: per-channel forward, the channel the last dimension.</summary>
    /// <param name="inputs">Row-major <c>[rows, channels]</c> values.</param>
    /// <param name="min">Per-channel minimum; its length is the channel count.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Same length as <paramref name="inputs"/>; may be the same memory.</param>
    public static void PerChannel(ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange, Span<float> outputs)
    {
        int channels = SpanGuard.Channels(inputs.Length, min.Length, max.Length);
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        int rows = channels == 0 ? 0 : inputs.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            QuantRange q = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);

            // Index by row: r * channels + c < inputs.Length always fits an int, whereas stepping
            // i += channels past the last row could wrap for lengths near int.MaxValue.
            for (int r = 0; r < rows; r++)
            {
                int i = (r * channels) + c;
                outputs[i] = q.IsZeroRange ? 0f : QuantizeMultiply(inputs[i], q);
            }
        }
    }

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient: input backprop and per-channel range gradients.</summary>
    /// <param name="gradients">Row-major <c>[rows, channels]</c> upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length.</param>
    /// <param name="min">Per-channel minimum; its length is the channel count.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backpropsWrtInput">Same length as the inputs; may be the memory of <paramref name="gradients"/>.</param>
    /// <param name="backpropWrtMin">Per channel: sum over rows, in <see cref="SumTree"/> order (row order up to 2^18 elements), of <c>g</c> where <c>x &lt; nudged_min</c>.</param>
    /// <param name="backpropWrtMax">Per channel: sum over rows of <c>g</c> where <c>x &gt; nudged_max</c>.</param>
    public static void PerChannelGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max,
        int numBits, bool narrowRange, Span<float> backpropsWrtInput, Span<float> backpropWrtMin, Span<float> backpropWrtMax)
    {
        int channels = SpanGuard.Channels(inputs.Length, min.Length, max.Length);
        SpanGuard.SameLength(inputs.Length, gradients.Length, nameof(gradients));
        SpanGuard.SameLength(inputs.Length, backpropsWrtInput.Length, nameof(backpropsWrtInput));
        SpanGuard.SameLength(channels, backpropWrtMin.Length, nameof(backpropWrtMin));
        SpanGuard.SameLength(channels, backpropWrtMax.Length, nameof(backpropWrtMax));
        int rows = channels == 0 ? 0 : inputs.Length / channels;
        var q = new QuantRange[channels];
        for (int c = 0; c < channels; c++)
        {
            q[c] = QuantRange.Nudge(min[c], max[c], numBits, narrowRange);
        }

        TreeGradient(gradients, inputs, q, backpropsWrtInput, backpropWrtMin, backpropWrtMax, 0, SumTree.Units(rows), rows);
    }

    /// <summary>
    /// The gradient of the rows in units <c>[u0, u1)</c> of a <c>[rows, q.Length]</c> view: the
    /// backprop of every element and, into <paramref name="sumMin"/> / <paramref name="sumMax"/>,
    /// the range sums in <see cref="SumTree"/> order (a leaf from +0 in row order; a node its
    /// left sum plus its right sum, flushed). Zero-range channels copy their gradients and sum +0.
    /// </summary>
    private static void TreeGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, QuantRange[] q, Span<float> backprops,
        Span<float> sumMin, Span<float> sumMax, long u0, long u1, int rows)
    {
        int channels = q.Length;
        if (SumTree.IsLeaf(u0, u1, rows, channels))
        {
            sumMin.Clear();
            sumMax.Clear();
            int r1 = (int)SumTree.RowOf(u1, rows);
            for (int r = (int)SumTree.RowOf(u0, rows); r < r1; r++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int i = (r * channels) + c; // never wraps (see PerChannel)
                    if (q[c].IsZeroRange)
                    {
                        backprops[i] = gradients[i]; // copied, not flushed
                    }
                    else
                    {
                        GradientElement(gradients[i], inputs[i], q[c], out backprops[i], ref sumMin[c], ref sumMax[c]);
                    }
                }
            }

            return;
        }

        long m = SumTree.Mid(u0, u1);
        TreeGradient(gradients, inputs, q, backprops, sumMin, sumMax, u0, m, rows);
        float[] rightMin = new float[channels], rightMax = new float[channels];
        TreeGradient(gradients, inputs, q, backprops, rightMin, rightMax, m, u1, rows);
        for (int c = 0; c < channels; c++)
        {
            sumMin[c] = Subnormals.Flush(sumMin[c] + rightMin[c]);
            sumMax[c] = Subnormals.Flush(sumMax[c] + rightMax[c]);
        }
    }

    /// <summary>
    /// One gradient element: masks by multiplication (so a negative <c>g</c> at an excluded
    /// position gives -0 and a NaN/Inf <c>g</c> gives NaN), and flushed running sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void GradientElement(float gradient, float input, in QuantRange q, out float backprop, ref float sumMin, ref float sumMax)
    {
        float g = Subnormals.Flush(gradient);
        float x = Subnormals.Flush(input);
        float inside = x >= q.NudgedMin && x <= q.NudgedMax ? 1f : 0f;
        float below = x < q.NudgedMin ? 1f : 0f;
        float above = x > q.NudgedMax ? 1f : 0f;
        backprop = g * inside;
        sumMin = Subnormals.Flush(sumMin + g * below);
        sumMax = Subnormals.Flush(sumMax + g * above);
    }
}
