using System.Runtime.Intrinsics;
using TfFakeQuant.Kernels.Fast;
using TfFakeQuant.Ops;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Kernels;

/// <summary>
/// The span API of the six TensorFlow fake-quant kernels: bit-exact with TensorFlow 2.21's CPU
/// kernels (including their flush-to-zero / denormals-are-zero arithmetic), no allocation.
/// </summary>
/// <remarks>
/// <para>Per-channel data is a row-major <c>[rows, channels]</c> matrix with the channel the last
/// dimension (TensorFlow's layout); the channel count is <c>min.Length</c>.</para>
/// <para>Each output may be the exact memory of an input of the same length (in place); any other
/// overlap between outputs and inputs is rejected. Range gradients are sums over rows in
/// <see cref="SumTree"/> order — row order up to 2^18 elements, halves added along a fixed tree
/// above — bitwise identical at every SIMD width and thread count.</para>
/// </remarks>
public static class FakeQuant
{
    private static int s_maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// The SIMD width, in bits, the kernels use in this process: 512, 256 or 128 when
    /// <c>Vector512</c> / <c>Vector256</c> / <c>Vector128</c> report hardware acceleration (in
    /// that order of preference; <c>DOTNET_PreferredVectorBitWidth</c> lowers it), 0 when no
    /// hardware intrinsics are available (<c>DOTNET_EnableHWIntrinsic=0</c>): then the same
    /// drivers run one lane at a time. Results are bitwise identical at every width.
    /// </summary>
    public static int ActiveVectorWidthBits { get; } =
        Vector512.IsHardwareAccelerated ? 512 :
        Vector256.IsHardwareAccelerated ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>
    /// Most threads one kernel call may use (default: <see cref="Environment.ProcessorCount"/>).
    /// Calls on fewer than 262,144 elements always run on the calling thread. Elementwise work
    /// (forward ops, ArgsGradient) is split into blocks of rows; range gradients above one
    /// <see cref="SumTree"/> leaf give each thread whole subtrees of rows (up to 8 threads: the
    /// tree's top three levels) and add their sums in the tree's order; a one-leaf inner-axis
    /// gradient is split across channels. Results do not depend on this value.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref s_maxDegreeOfParallelism);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxDegreeOfParallelism, value);
        }
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannel with the channel on any axis of a row-major tensor of
    /// <paramref name="shape"/> (no transposes): each element is quantized with the TF-nudged
    /// range of its index along <paramref name="axis"/>. <c>axis = -1</c> (the last) is
    /// TensorFlow's op; any other axis equals transposing that axis last, running the op and
    /// transposing back. Formula and edge cases as <see cref="PerChannel(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, Span{float})"/>.
    /// </summary>
    /// <param name="inputs">Row-major values, <c>product(shape)</c> of them.</param>
    /// <param name="shape">Dimensions, rank ≥ 1, each ≥ 0.</param>
    /// <param name="axis">Channel axis, <c>-rank ≤ axis &lt; rank</c> (negative counts from the end).</param>
    /// <param name="min">Per-channel minimum, <c>shape[axis]</c> values.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Same length as <paramref name="inputs"/>; may be its memory.</param>
    /// <exception cref="ArgumentException">Bad shape or axis, lengths inconsistent, or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void PerChannel(ReadOnlySpan<float> inputs, ReadOnlySpan<long> shape, int axis, ReadOnlySpan<float> min, ReadOnlySpan<float> max,
        int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.NumBits(numBits);
        (long outer, int channels, long inner) = SpanGuard.Axis(shape, axis, inputs.Length, min.Length, max.Length);
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        SpanGuard.OutputOf(outputs, inputs, nameof(outputs));
        SpanGuard.Disjoint(outputs, min, nameof(outputs));
        SpanGuard.Disjoint(outputs, max, nameof(outputs));
        FastPath.PerChannelForward(inputs, min, max, numBits, narrowRange, outputs, outer, channels, inner);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannelGradient with the channel on any axis (no transposes).
    /// Each channel's <c>backprop_wrt_min/max</c> sums its elements over the rows of the
    /// transposed (channel-last) view in <see cref="SumTree"/> order (row order is memory order
    /// of that channel's elements), with flushed partial sums — bitwise what this library's
    /// channel-last op gives on the transposed tensor.
    /// </summary>
    /// <param name="gradients">Row-major upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length, <c>product(shape)</c>.</param>
    /// <param name="shape">Dimensions, rank ≥ 1, each ≥ 0.</param>
    /// <param name="axis">Channel axis, <c>-rank ≤ axis &lt; rank</c>.</param>
    /// <param name="min">Per-channel minimum, <c>shape[axis]</c> values.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backpropsWrtInput">Same length as the inputs; may be the memory of <paramref name="gradients"/> or <paramref name="inputs"/>.</param>
    /// <param name="backpropWrtMin">One value per channel.</param>
    /// <param name="backpropWrtMax">One value per channel.</param>
    /// <exception cref="ArgumentException">Bad shape or axis, lengths inconsistent, or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void PerChannelGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<long> shape, int axis,
        ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange,
        Span<float> backpropsWrtInput, Span<float> backpropWrtMin, Span<float> backpropWrtMax)
    {
        SpanGuard.NumBits(numBits);
        (long outer, int channels, long inner) = SpanGuard.Axis(shape, axis, inputs.Length, min.Length, max.Length);
        PerChannelGradientChecked(gradients, inputs, min, max, numBits, narrowRange, backpropsWrtInput, backpropWrtMin, backpropWrtMax,
            outer, channels, inner);
    }

    /// <summary>
    /// FakeQuantWithMinMaxArgs: <c>out = floor((clamp(x) - nudged_min) * inv_scale - quant_zero + 0.5) * scale</c>.
    /// NaN inputs give NaN.
    /// </summary>
    /// <param name="inputs">Input values.</param>
    /// <param name="min">Range minimum; must be below <paramref name="max"/> (subnormals read as zero).</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Destination, same length; may be <paramref name="inputs"/>' memory.</param>
    /// <exception cref="ArgumentException">Lengths differ, buffers overlap, or <c>!(min &lt; max)</c> (TensorFlow's text).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void Args(ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.ArgsRange(min, max); // TensorFlow's order: the range check comes before num_bits
        SpanGuard.NumBits(numBits);
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        SpanGuard.OutputOf(outputs, inputs, nameof(outputs));
        FastPath.PerTensorForward(inputs, QuantRange.Nudge(min, max, numBits, narrowRange), divide: false, outputs);
    }

    /// <summary>FakeQuantWithMinMaxArgsGradient: <c>backprops = g * (nudged_min &lt;= x &lt;= nudged_max)</c> (a multiply).</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length.</param>
    /// <param name="min">Range minimum; must be below <paramref name="max"/>.</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backprops">Destination; may be the memory of <paramref name="gradients"/> or <paramref name="inputs"/>.</param>
    /// <exception cref="ArgumentException">Lengths differ, buffers overlap, or <c>!(min &lt; max)</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void ArgsGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> backprops)
    {
        SpanGuard.ArgsRange(min, max); // TensorFlow's order: the range check comes before num_bits
        SpanGuard.NumBits(numBits);
        SpanGuard.SameLength(gradients.Length, inputs.Length, nameof(inputs));
        SpanGuard.SameLength(gradients.Length, backprops.Length, nameof(backprops));
        SpanGuard.OutputOf(backprops, gradients, nameof(backprops));
        SpanGuard.OutputOf(backprops, inputs, nameof(backprops));
        FastPath.PerTensorBackprop(gradients, inputs, QuantRange.Nudge(min, max, numBits, narrowRange), backprops);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVars: per-tensor forward; divides by scale (<c>(c - nudged_min) / scale</c>),
    /// so ties can differ from <see cref="PerChannel(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, bool, Span{float})"/>. <c>min == max == 0</c> gives +0 everywhere.
    /// <c>min &gt; max</c> is accepted, as in TensorFlow.
    /// </summary>
    /// <param name="inputs">Input values.</param>
    /// <param name="min">Range minimum.</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Destination, same length; may be <paramref name="inputs"/>' memory.</param>
    /// <exception cref="ArgumentException">Lengths differ or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void Vars(ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.NumBits(numBits);
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        SpanGuard.OutputOf(outputs, inputs, nameof(outputs));
        FastPath.PerTensorForward(inputs, QuantRange.Nudge(min, max, numBits, narrowRange), divide: true, outputs);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsGradient: <c>backprops = g * inside</c>; <c>backprop_wrt_min</c> and
    /// <c>backprop_wrt_max</c> sum <c>g</c> below / above the nudged range, in <see cref="SumTree"/> order (element order up to 2^18 elements).
    /// <c>min == max == 0</c>: gradients are copied and both sums are +0.
    /// </summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length.</param>
    /// <param name="min">Range minimum.</param>
    /// <param name="max">Range maximum.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backpropsWrtInput">Destination; may be the memory of <paramref name="gradients"/> or <paramref name="inputs"/>.</param>
    /// <param name="backpropWrtMin">Gradient of <paramref name="min"/>.</param>
    /// <param name="backpropWrtMax">Gradient of <paramref name="max"/>.</param>
    /// <exception cref="ArgumentException">Lengths differ or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void VarsGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, float min, float max, int numBits, bool narrowRange,
        Span<float> backpropsWrtInput, out float backpropWrtMin, out float backpropWrtMax)
    {
        SpanGuard.NumBits(numBits);
        SpanGuard.SameLength(gradients.Length, inputs.Length, nameof(inputs));
        SpanGuard.SameLength(gradients.Length, backpropsWrtInput.Length, nameof(backpropsWrtInput));
        SpanGuard.OutputOf(backpropsWrtInput, gradients, nameof(backpropsWrtInput));
        SpanGuard.OutputOf(backpropsWrtInput, inputs, nameof(backpropsWrtInput));
        FastPath.PerTensorGradient(gradients, inputs, QuantRange.Nudge(min, max, numBits, narrowRange), backpropsWrtInput, out backpropWrtMin, out backpropWrtMax);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannel: per-channel forward over a <c>[rows, channels]</c> matrix,
    /// channel = last dimension, <c>channels = min.Length</c>. A channel with <c>min == max == 0</c> is +0.
    /// </summary>
    /// <param name="inputs">Row-major values; length a multiple of the channel count.</param>
    /// <param name="min">Per-channel minimum.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="outputs">Destination, same length as <paramref name="inputs"/>; may be its memory.</param>
    /// <exception cref="ArgumentException">Lengths inconsistent or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void PerChannel(ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max, int numBits, bool narrowRange, Span<float> outputs)
    {
        SpanGuard.NumBits(numBits);
        SpanGuard.Channels(inputs.Length, min.Length, max.Length);
        SpanGuard.SameLength(inputs.Length, outputs.Length, nameof(outputs));
        SpanGuard.OutputOf(outputs, inputs, nameof(outputs));
        SpanGuard.Disjoint(outputs, min, nameof(outputs));
        SpanGuard.Disjoint(outputs, max, nameof(outputs));
        int channels = min.Length;
        FastPath.PerChannelForward(inputs, min, max, numBits, narrowRange, outputs, channels == 0 ? 0 : inputs.Length / channels, channels, 1);
    }

    /// <summary>
    /// FakeQuantWithMinMaxVarsPerChannelGradient: <c>backprops_wrt_input = g * inside</c>;
    /// per channel, <c>backprop_wrt_min</c> / <c>backprop_wrt_max</c> sum <c>g</c> over the rows
    /// below / above that channel's nudged range, in <see cref="SumTree"/> order (row order up to
    /// 2^18 elements) with flushed partial sums. A
    /// channel with <c>min == max == 0</c> copies its gradients and has +0 sums.
    /// </summary>
    /// <param name="gradients">Row-major upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same length; a multiple of the channel count.</param>
    /// <param name="min">Per-channel minimum.</param>
    /// <param name="max">Per-channel maximum, same length.</param>
    /// <param name="numBits">Bit width, 2..16.</param>
    /// <param name="narrowRange">Lowest level 1 instead of 0.</param>
    /// <param name="backpropsWrtInput">Same length as the inputs; may be the memory of <paramref name="gradients"/> (in place) or <paramref name="inputs"/>.</param>
    /// <param name="backpropWrtMin">One value per channel.</param>
    /// <param name="backpropWrtMax">One value per channel.</param>
    /// <exception cref="ArgumentException">Lengths inconsistent or buffers overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBits"/> outside 2..16.</exception>
    public static void PerChannelGradient(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> min, ReadOnlySpan<float> max,
        int numBits, bool narrowRange, Span<float> backpropsWrtInput, Span<float> backpropWrtMin, Span<float> backpropWrtMax)
    {
        SpanGuard.NumBits(numBits);
        int channels = SpanGuard.Channels(inputs.Length, min.Length, max.Length);
        PerChannelGradientChecked(gradients, inputs, min, max, numBits, narrowRange, backpropsWrtInput, backpropWrtMin, backpropWrtMax,
            channels == 0 ? 0 : inputs.Length / channels, channels, 1);
    }

    /// <summary>The buffer checks both per-channel gradient overloads share, then the fast path over <c>[outer, channels, inner]</c>.</summary>
    private static void PerChannelGradientChecked(ReadOnlySpan<float> gradients, ReadOnlySpan<float> inputs, ReadOnlySpan<float> min,
        ReadOnlySpan<float> max, int numBits, bool narrowRange, Span<float> backpropsWrtInput, Span<float> backpropWrtMin, Span<float> backpropWrtMax,
        long outer, int channels, long inner)
    {
        SpanGuard.SameLength(inputs.Length, gradients.Length, nameof(gradients));
        SpanGuard.SameLength(inputs.Length, backpropsWrtInput.Length, nameof(backpropsWrtInput));
        SpanGuard.SameLength(channels, backpropWrtMin.Length, nameof(backpropWrtMin));
        SpanGuard.SameLength(channels, backpropWrtMax.Length, nameof(backpropWrtMax));
        SpanGuard.OutputOf(backpropsWrtInput, gradients, nameof(backpropsWrtInput));
        SpanGuard.OutputOf(backpropsWrtInput, inputs, nameof(backpropsWrtInput));
        SpanGuard.Disjoint(backpropsWrtInput, min, nameof(backpropsWrtInput));
        SpanGuard.Disjoint(backpropsWrtInput, max, nameof(backpropsWrtInput));
        SpanGuard.Disjoint(backpropWrtMin, backpropWrtMax, nameof(backpropWrtMax));
        SpanGuard.DisjointFromAll(backpropWrtMin, nameof(backpropWrtMin), gradients, inputs, min, max, backpropsWrtInput);
        SpanGuard.DisjointFromAll(backpropWrtMax, nameof(backpropWrtMax), gradients, inputs, min, max, backpropsWrtInput);
        FastPath.PerChannelGradient(gradients, inputs, min, max, numBits, narrowRange, backpropsWrtInput, backpropWrtMin, backpropWrtMax,
            outer, channels, inner);
    }
}

/// <summary>Argument checks of the span API; throws live out of line.</summary>
internal static class SpanGuard
{
    public static void NumBits(int numBits)
    {
        if (numBits is < 2 or > 16)
        {
            ThrowNumBits(numBits);
        }
    }

    public static void ArgsRange(float min, float max)
    {
        float fmin = Subnormals.Flush(min), fmax = Subnormals.Flush(max);
        if (!(fmin < fmax))
        {
            ThrowArgsRange(fmin, fmax);
        }
    }

    public static int Channels(int length, int minLength, int maxLength)
    {
        if (minLength != maxLength)
        {
            Throw($"min and max must have the same length, got {minLength} and {maxLength}.", "max");
        }

        if (minLength == 0 ? length != 0 : length % minLength != 0)
        {
            Throw($"The input length {length} is not a multiple of the channel count {minLength}.", "inputs");
        }

        return minLength;
    }

    /// <summary>
    /// Validates a shape and channel axis for the axis overloads; returns the
    /// <c>[outer, channels, inner]</c> view. A negative axis counts from the end (python style).
    /// </summary>
    public static (long Outer, int Channels, long Inner) Axis(ReadOnlySpan<long> shape, int axis, int length, int minLength, int maxLength)
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            Throw("The per-channel ops need a shape of rank at least 1, got rank 0.", nameof(shape));
        }

        if (axis < -rank || axis >= rank)
        {
            Throw($"Axis {axis} is out of range for a tensor of rank {rank} (valid: {-rank} to {rank - 1}).", nameof(axis));
        }

        int a = axis < 0 ? axis + rank : axis;
        long outer = 1, inner = 1, total = 1;
        bool zero = false;
        for (int i = 0; i < rank; i++)
        {
            long dim = shape[i];
            if (dim < 0)
            {
                Throw($"Dimension {i} of the shape is negative ({dim}).", nameof(shape));
            }

            zero |= dim == 0;
            // Saturate past int.MaxValue (no span is longer): total * dim of two values ≤ int.MaxValue
            // cannot overflow, whereas 4 * 2^62 would wrap to 0 and pass for an empty input.
            total = zero ? 0 : total > int.MaxValue || dim > int.MaxValue ? (long)int.MaxValue + 1 : total * dim;
            if (i < a)
            {
                outer = zero ? 0 : Math.Min(outer * dim, (long)int.MaxValue + 1);
            }
            else if (i > a)
            {
                inner = inner * Math.Min(dim, (long)int.MaxValue + 1);
                inner = Math.Min(inner, (long)int.MaxValue + 1);
            }
        }

        if (total != length)
        {
            Throw($"The shape holds {(total > int.MaxValue ? "more than int.MaxValue" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))} elements but the input has {length}.", nameof(shape));
        }

        if (minLength != maxLength)
        {
            Throw($"min and max must have the same length, got {minLength} and {maxLength}.", "max");
        }

        if (shape[a] != minLength)
        {
            Throw($"min has {minLength} values but dimension {a} (the channel axis) is {shape[a]}.", "min");
        }

        return (outer, minLength, inner);
    }

    public static void SameLength(int expected, int actual, string paramName)
    {
        if (expected != actual)
        {
            Throw($"Expected a span of length {expected}, got {actual}.", paramName);
        }
    }

    /// <summary>An output may be exactly an input's memory (in place) but must not partly overlap it.</summary>
    public static void OutputOf(ReadOnlySpan<float> output, ReadOnlySpan<float> input, string paramName)
    {
        if (output.Overlaps(input, out int offset) && (offset != 0 || output.Length != input.Length))
        {
            Throw("The destination partly overlaps a source; only exact in-place use is allowed.", paramName);
        }
    }

    public static void Disjoint(ReadOnlySpan<float> output, ReadOnlySpan<float> other, string paramName)
    {
        if (output.Overlaps(other))
        {
            Throw("The destination overlaps another argument.", paramName);
        }
    }

    public static void DisjointFromAll(ReadOnlySpan<float> output, string paramName, ReadOnlySpan<float> a, ReadOnlySpan<float> b,
        ReadOnlySpan<float> c, ReadOnlySpan<float> d, ReadOnlySpan<float> e)
    {
        Disjoint(output, a, paramName);
        Disjoint(output, b, paramName);
        Disjoint(output, c, paramName);
        Disjoint(output, d, paramName);
        Disjoint(output, e, paramName);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNumBits(int numBits) =>
        throw new ArgumentOutOfRangeException(nameof(numBits), numBits, TfMessages.NumBitsRange);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowArgsRange(float min, float max) =>
        throw new ArgumentException(TfMessages.ArgsMinNotBelowMax(min, max), nameof(min));

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Throw(string message, string paramName) => throw new ArgumentException(message, paramName);
}
