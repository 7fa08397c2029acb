using System.Diagnostics.CodeAnalysis;
using NumSharp;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Eager;

/// <summary>
/// The six FakeQuant ops as eager op-level functions with TensorFlow's Python names and
/// parameters (<c>tf.quantization.fake_quant_with_min_max_vars_per_channel(inputs, min, max,
/// num_bits=8, narrow_range=False, name=None)</c> and the rest), over NumSharp arrays. Each runs
/// through <see cref="EagerContext.Default"/>: TensorFlow 2.21's eager kernel checks and texts,
/// the bit-exact kernel, and recording on the active <see cref="GradientTape"/>s.
/// </summary>
/// <remarks>
/// <c>name</c> is accepted for source compatibility and ignored, as in TensorFlow's eager mode.
/// Inputs of another dtype are converted to float32; outputs are float32 arrays.
/// The channel of the per-channel ops is the last dimension. NaN and edge behaviour: see the
/// span kernels in <c>TfFakeQuant.Kernels.FakeQuant</c>.
/// </remarks>
[SuppressMessage("Naming", "CA1707", Justification = "TensorFlow's Python op names and parameter names (snake_case), so QAT code ports line by line.")]
public static class EagerOps
{
    /// <summary>FakeQuantWithMinMaxArgs: <c>floor((clamp(x, nmin, nmax) - nmin) * inv_scale - quant_zero + 0.5) * scale</c> with the nudged attr range.</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Range minimum attr (default -6).</param>
    /// <param name="max">Range maximum attr (default 6).</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>outputs</c>, same shape as <paramref name="inputs"/>.</returns>
    /// <exception cref="InvalidArgumentException"><c>min has to be smaller than max, was: …</c> (NaN bounds rejected); <c>num_bits must be between 2 and 16, inclusive</c>.</exception>
    public static NDArray fake_quant_with_min_max_args(NDArray inputs, float min = FakeQuantCatalog.DefaultMin, float max = FakeQuantCatalog.DefaultMax,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null)
    {
        _ = name;
        return Run(FakeQuantCatalog.Args, [inputs], new FakeQuantAttrs(num_bits, narrow_range, min, max))[0];
    }

    /// <summary>FakeQuantWithMinMaxArgsGradient: <c>gradients * (nmin &lt;= inputs &lt;= nmax)</c>.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>backprops</c>.</returns>
    /// <exception cref="InvalidArgumentException">The attr checks, then <c>Inputs to operation FakeQuantWithMinMaxArgsGradient of type FakeQuantWithMinMaxArgsGradient must have the same size and shape. …</c>.</exception>
    public static NDArray fake_quant_with_min_max_args_gradient(NDArray gradients, NDArray inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null)
    {
        _ = name;
        return Run(FakeQuantCatalog.ArgsGradient, [gradients, inputs], new FakeQuantAttrs(num_bits, narrow_range, min, max))[0];
    }

    /// <summary>FakeQuantWithMinMaxVars: per-tensor fake quantization with rank-0 <paramref name="min"/>/<paramref name="max"/> (<c>u = (c - nmin) / scale</c>, a division).</summary>
    /// <param name="inputs">Any shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>outputs</c>; all <c>+0</c> when <c>min == max == 0</c>.</returns>
    /// <exception cref="InvalidArgumentException"><c>num_bits</c> out of range; <c>`min` must be rank 0 but is rank N</c> (then <c>max</c>).</exception>
    public static NDArray fake_quant_with_min_max_vars(NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits,
        bool narrow_range = false, string? name = null)
    {
        _ = name;
        return Run(FakeQuantCatalog.Vars, [inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range))[0];
    }

    /// <summary>FakeQuantWithMinMaxVarsGradient: input backprops <c>g * inside</c>, and the sums of <c>g</c> below / above the nudged range.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>backprops_wrt_input</c>, rank-0 <c>backprop_wrt_min</c> and <c>backprop_wrt_max</c>.</returns>
    /// <exception cref="InvalidArgumentException"><c>num_bits</c> out of range; <c>gradient and input must be the same size</c>; rank checks of min/max.</exception>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) fake_quant_with_min_max_vars_gradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null)
    {
        _ = name;
        NDArray[] r = Run(FakeQuantCatalog.VarsGradient, [gradients, inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range));
        return (r[0], r[1], r[2]);
    }

    /// <summary>FakeQuantWithMinMaxVarsPerChannel: fake quantization per channel (last dimension) with <c>[d]</c> ranges (<c>u = (c - nmin) * inv_scale</c>).</summary>
    /// <param name="inputs">Rank ≥ 1, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>outputs</c>; a channel with <c>min == max == 0</c> is all <c>+0</c>.</returns>
    /// <exception cref="InvalidArgumentException"><c>num_bits</c> out of range; rank-0 inputs (<c>Shape must be at least rank 1 but is rank 0</c>); <c>`min` must be rank 1 but is rank N</c>; <c>min has incorrect size, expected D was M</c> (then max).</exception>
    public static NDArray fake_quant_with_min_max_vars_per_channel(NDArray inputs, NDArray min, NDArray max,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null)
    {
        _ = name;
        return Run(FakeQuantCatalog.VarsPerChannel, [inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range))[0];
    }

    /// <summary>FakeQuantWithMinMaxVarsPerChannelGradient: input backprops <c>g * inside</c> and per-channel sums (<see cref="Kernels.SumTree"/> order) of <c>g</c> below / above the nudged range.</summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs, same shape, last dimension d (any rank ≥ 1, as TensorFlow's eager kernel).</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="num_bits">Bit width, 2..16.</param>
    /// <param name="narrow_range">Lowest quantized level 1 instead of 0.</param>
    /// <param name="name">Ignored in eager mode.</param>
    /// <returns><c>backprops_wrt_input</c> and the two [d] range gradients.</returns>
    /// <exception cref="InvalidArgumentException"><c>num_bits</c> out of range; <c>gradient and input must be the same size</c>; the per-channel range checks.</exception>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) fake_quant_with_min_max_vars_per_channel_gradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null)
    {
        _ = name;
        NDArray[] r = Run(FakeQuantCatalog.VarsPerChannelGradient, [gradients, inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range));
        return (r[0], r[1], r[2]);
    }

    private static NDArray[] Run(FakeQuantOpDef op, NDArray[] inputs, FakeQuantAttrs attrs)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], op.InputNames[i]);
        }

        return EagerContext.Default.Execute(op.Name, inputs, attrs.ToDictionary(op));
    }
}

/// <summary>
/// <c>tf.quantization</c>'s FakeQuant functions, so that <c>tf.quantization.fake_quant_with_min_max_vars_per_channel(...)</c>
/// ports as <c>quantization.fake_quant_with_min_max_vars_per_channel(...)</c>. Each forwards to <see cref="EagerOps"/>.
/// </summary>
[SuppressMessage("Naming", "CA1707", Justification = "TensorFlow's Python names (snake_case), so QAT code ports line by line.")]
[SuppressMessage("Style", "IDE1006", Justification = "Mirrors the Python module name tf.quantization.")]
#pragma warning disable CS8981 // A lower-case type name on purpose: it stands for the Python module tf.quantization.
public static class quantization
#pragma warning restore CS8981
{
    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_args"/>
    public static NDArray fake_quant_with_min_max_args(NDArray inputs, float min = FakeQuantCatalog.DefaultMin, float max = FakeQuantCatalog.DefaultMax,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_args(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_args_gradient"/>
    public static NDArray fake_quant_with_min_max_args_gradient(NDArray gradients, NDArray inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_args_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars"/>
    public static NDArray fake_quant_with_min_max_vars(NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits,
        bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_gradient"/>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) fake_quant_with_min_max_vars_gradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_per_channel"/>
    public static NDArray fake_quant_with_min_max_vars_per_channel(NDArray inputs, NDArray min, NDArray max,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_per_channel_gradient"/>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) fake_quant_with_min_max_vars_per_channel_gradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);
}

/// <summary>
/// <c>tf.raw_ops</c>'s FakeQuant entries: the OpDef names with TensorFlow's keyword parameters, so
/// <c>tf.raw_ops.FakeQuantWithMinMaxVarsPerChannel(inputs=x, min=lo, max=hi, num_bits=4)</c> ports as
/// <c>raw_ops.FakeQuantWithMinMaxVarsPerChannel(inputs: x, min: lo, max: hi, num_bits: 4)</c>.
/// Each forwards to <see cref="EagerOps"/> (same checks, texts, kernels and tape recording).
/// </summary>
[SuppressMessage("Naming", "CA1707", Justification = "TensorFlow's Python parameter names (snake_case), so raw_ops code ports line by line.")]
[SuppressMessage("Style", "IDE1006", Justification = "Mirrors the Python module name tf.raw_ops.")]
#pragma warning disable CS8981 // A lower-case type name on purpose: it stands for the Python module tf.raw_ops.
public static class raw_ops
#pragma warning restore CS8981
{
    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_args"/>
    public static NDArray FakeQuantWithMinMaxArgs(NDArray inputs, float min = FakeQuantCatalog.DefaultMin, float max = FakeQuantCatalog.DefaultMax,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_args(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_args_gradient"/>
    public static NDArray FakeQuantWithMinMaxArgsGradient(NDArray gradients, NDArray inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_args_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars"/>
    public static NDArray FakeQuantWithMinMaxVars(NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits,
        bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_gradient"/>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) FakeQuantWithMinMaxVarsGradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_per_channel"/>
    public static NDArray FakeQuantWithMinMaxVarsPerChannel(NDArray inputs, NDArray min, NDArray max,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits, narrow_range, name);

    /// <inheritdoc cref="EagerOps.fake_quant_with_min_max_vars_per_channel_gradient"/>
    public static (NDArray backprops_wrt_input, NDArray backprop_wrt_min, NDArray backprop_wrt_max) FakeQuantWithMinMaxVarsPerChannelGradient(
        NDArray gradients, NDArray inputs, NDArray min, NDArray max, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false,
        string? name = null) =>
        EagerOps.fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max, num_bits, narrow_range, name);
}
