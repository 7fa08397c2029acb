using System.Diagnostics.CodeAnalysis;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Graph;

/// <summary>
/// The six ops as graph-building functions with TensorFlow's Python / TensorFlow.NET names and
/// parameter names (<c>tf.quantization.fake_quant_with_min_max_vars_per_channel_gradient(gradients,
/// inputs, min, max, num_bits=8, narrow_range=False, name=None)</c>), so graph code ports line by
/// line. Each adds one node to the graph of its inputs (default name: the op type, made unique
/// in the current name scope) and returns its outputs with the static shapes TensorFlow infers.
/// Checks TensorFlow makes only at run time (<c>num_bits</c> range, Args' <c>min &lt; max</c>)
/// fail when the graph runs (<see cref="GraphExecutor"/>), with the kernels' texts.
/// </summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Op-level functions mirror TensorFlow's / TensorFlow.NET's snake_case names and parameter names so code ports line by line.")]
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Mirrors TensorFlow's snake_case names.")]
public static class FakeQuantGraphOps
{
    /// <summary>
    /// <c>tf.quantization.fake_quant_with_min_max_args</c>: FakeQuantWithMinMaxArgs(inputs) with
    /// float attrs; <c>outputs = floor((clamp(x) - nudged_min) * inv_scale - quant_zero + 0.5) * scale</c>.
    /// </summary>
    /// <param name="inputs">Float tensor of any shape.</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr (<c>min &lt; max</c> is checked when the graph runs).</param>
    /// <param name="num_bits">Bit width (2..16, checked when the graph runs).</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxArgs</c>).</param>
    /// <returns>The output, shaped like <paramref name="inputs"/>.</returns>
    /// <exception cref="ArgumentException">An input of the wrong type or graph, an invalid name.</exception>
    public static GraphTensor fake_quant_with_min_max_args(GraphTensor inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        Add(FakeQuantCatalog.Args, [inputs], new FakeQuantAttrs(num_bits, narrow_range, min, max), name)[0];

    /// <summary>
    /// <c>tf.quantization.fake_quant_with_min_max_args_gradient</c>: backprops = gradients where
    /// <c>nudged_min &lt;= inputs &lt;= nudged_max</c>, else 0 (a multiply: <c>g * inside</c>).
    /// </summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs (same shape, checked when the graph runs).</param>
    /// <param name="min">Range minimum attr.</param>
    /// <param name="max">Range maximum attr.</param>
    /// <param name="num_bits">Bit width.</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxArgsGradient</c>).</param>
    /// <returns>The backprops, shaped like <paramref name="gradients"/>.</returns>
    /// <exception cref="ArgumentException">An input of the wrong type or graph, an invalid name.</exception>
    public static GraphTensor fake_quant_with_min_max_args_gradient(GraphTensor gradients, GraphTensor inputs, float min = FakeQuantCatalog.DefaultMin,
        float max = FakeQuantCatalog.DefaultMax, long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        Add(FakeQuantCatalog.ArgsGradient, [gradients, inputs], new FakeQuantAttrs(num_bits, narrow_range, min, max), name)[0];

    /// <summary><c>tf.quantization.fake_quant_with_min_max_vars</c>: per-tensor fake quantization with rank-0 <c>min</c>/<c>max</c> tensors.</summary>
    /// <param name="inputs">Float tensor of any shape.</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="num_bits">Bit width.</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxVars</c>).</param>
    /// <returns>The output, shaped like <paramref name="inputs"/>.</returns>
    /// <exception cref="ShapeInferenceException">TensorFlow's shape function: <c>min</c> / <c>max</c> not rank 0.</exception>
    public static GraphTensor fake_quant_with_min_max_vars(GraphTensor inputs, GraphTensor min, GraphTensor max,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        Add(FakeQuantCatalog.Vars, [inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range), name)[0];

    /// <summary>
    /// <c>tf.quantization.fake_quant_with_min_max_vars_gradient</c>: input backprops and the
    /// rank-0 sums of gradients below / above the nudged range.
    /// </summary>
    /// <param name="gradients">Upstream gradients.</param>
    /// <param name="inputs">Forward inputs (same shape).</param>
    /// <param name="min">Rank-0 minimum.</param>
    /// <param name="max">Rank-0 maximum.</param>
    /// <param name="num_bits">Bit width.</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxVarsGradient</c>).</param>
    /// <returns><c>backprops_wrt_input</c>, <c>backprop_wrt_min</c>, <c>backprop_wrt_max</c>.</returns>
    /// <exception cref="ShapeInferenceException">TensorFlow's shape function failed.</exception>
    public static (GraphTensor backprops_wrt_input, GraphTensor backprop_wrt_min, GraphTensor backprop_wrt_max) fake_quant_with_min_max_vars_gradient(
        GraphTensor gradients, GraphTensor inputs, GraphTensor min, GraphTensor max, long num_bits = FakeQuantCatalog.DefaultNumBits,
        bool narrow_range = false, string? name = null)
    {
        IReadOnlyList<GraphTensor> r = Add(FakeQuantCatalog.VarsGradient, [gradients, inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range), name);
        return (r[0], r[1], r[2]);
    }

    /// <summary><c>tf.quantization.fake_quant_with_min_max_vars_per_channel</c>: fake quantization per last-dimension channel.</summary>
    /// <param name="inputs">Float tensor of rank ≥ 1, last dimension d.</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="num_bits">Bit width.</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxVarsPerChannel</c>).</param>
    /// <returns>The output, shaped like <paramref name="inputs"/>.</returns>
    /// <exception cref="ShapeInferenceException">TensorFlow's shape function failed (rank-0 inputs, min/max not rank 1, channel counts differ).</exception>
    public static GraphTensor fake_quant_with_min_max_vars_per_channel(GraphTensor inputs, GraphTensor min, GraphTensor max,
        long num_bits = FakeQuantCatalog.DefaultNumBits, bool narrow_range = false, string? name = null) =>
        Add(FakeQuantCatalog.VarsPerChannel, [inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range), name)[0];

    /// <summary>
    /// <c>tf.quantization.fake_quant_with_min_max_vars_per_channel_gradient</c>: input backprops and
    /// the per-channel sums of gradients below / above each channel's nudged range.
    /// </summary>
    /// <param name="gradients">Upstream gradients (rank 1..4 in a graph, as TensorFlow's shape function requires).</param>
    /// <param name="inputs">Forward inputs (same shape, last dimension d).</param>
    /// <param name="min">Shape [d].</param>
    /// <param name="max">Shape [d].</param>
    /// <param name="num_bits">Bit width.</param>
    /// <param name="narrow_range">Lowest level 1 instead of 0.</param>
    /// <param name="name">Node name (default <c>FakeQuantWithMinMaxVarsPerChannelGradient</c>).</param>
    /// <returns><c>backprops_wrt_input</c> (shape of inputs), <c>backprop_wrt_min</c> and <c>backprop_wrt_max</c> ([d]).</returns>
    /// <exception cref="ShapeInferenceException">TensorFlow's shape function failed; also the rank-0 text where TensorFlow's own shape inference crashes.</exception>
    public static (GraphTensor backprops_wrt_input, GraphTensor backprop_wrt_min, GraphTensor backprop_wrt_max) fake_quant_with_min_max_vars_per_channel_gradient(
        GraphTensor gradients, GraphTensor inputs, GraphTensor min, GraphTensor max, long num_bits = FakeQuantCatalog.DefaultNumBits,
        bool narrow_range = false, string? name = null)
    {
        IReadOnlyList<GraphTensor> r = Add(FakeQuantCatalog.VarsPerChannelGradient, [gradients, inputs, min, max], new FakeQuantAttrs(num_bits, narrow_range), name);
        return (r[0], r[1], r[2]);
    }

    /// <summary>
    /// <c>tf.gradients(ys, xs, grad_ys)</c> in the graph of <paramref name="ys"/>; see
    /// <see cref="GraphBuilder.Gradients"/>.
    /// </summary>
    /// <param name="ys">Tensors to differentiate.</param>
    /// <param name="xs">Tensors to differentiate with respect to.</param>
    /// <param name="grad_ys">Upstream gradients (null: ones).</param>
    /// <param name="name">Name scope (default <c>gradients</c>).</param>
    /// <returns>One gradient per x (null where none flows).</returns>
    /// <exception cref="KeyNotFoundException">An op on the path has no registered gradient (TensorFlow's text).</exception>
    /// <exception cref="ArgumentException"><paramref name="ys"/> is empty.</exception>
    public static IReadOnlyList<GraphTensor?> gradients(IReadOnlyList<GraphTensor> ys, IReadOnlyList<GraphTensor> xs,
        IReadOnlyList<GraphTensor?>? grad_ys = null, string name = "gradients")
    {
        ArgumentNullException.ThrowIfNull(ys);
        if (ys.Count == 0 || ys[0] is null)
        {
            throw new ArgumentException("gradients needs at least one y.", nameof(ys));
        }

        return ys[0].Graph.Gradients(ys, xs, grad_ys, name);
    }

    private static IReadOnlyList<GraphTensor> Add(FakeQuantOpDef op, GraphTensor[] inputs, FakeQuantAttrs attrs, string? name)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], op.InputNames[i]);
        }

        return inputs[0].Graph.AddOperation(op.Name, inputs, attrs.ToDictionary(op), name);
    }
}
