using System.Collections.Concurrent;

namespace TfFakeQuant.Ops;

/// <summary>
/// Emits one op in whatever world a gradient is being built in: a graph builder adds a node (in
/// the current name scope), eager mode runs the registered kernel, the native bridge adds a node
/// to a <c>TF_Graph</c>. Gradient functions are written once against this interface.
/// </summary>
/// <typeparam name="TTensor">The tensor handle of that world (a graph output, an array, ...).</typeparam>
public interface IOpEmitter<TTensor>
    where TTensor : class
{
    /// <summary>Emits <paramref name="opType"/> on <paramref name="inputs"/> with <paramref name="attrs"/>.</summary>
    /// <param name="opType">TensorFlow op type name.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">Attr values by TensorFlow attr name (<see cref="long"/>, <see cref="float"/>, <see cref="bool"/>, ...).</param>
    /// <returns>The op's outputs in OpDef order.</returns>
    IReadOnlyList<TTensor> Emit(string opType, IReadOnlyList<TTensor> inputs, IReadOnlyDictionary<string, object> attrs);
}

/// <summary>The forward op a gradient function differentiates.</summary>
/// <typeparam name="TTensor">The tensor handle type.</typeparam>
/// <param name="Type">Op type name.</param>
/// <param name="Name">Node name (graph) or op type (eager).</param>
/// <param name="Inputs">The forward inputs.</param>
/// <param name="Outputs">The forward outputs.</param>
/// <param name="Attrs">The forward attrs by TensorFlow attr name.</param>
public sealed record ForwardOp<TTensor>(string Type, string Name, IReadOnlyList<TTensor> Inputs, IReadOnlyList<TTensor> Outputs,
    IReadOnlyDictionary<string, object> Attrs)
    where TTensor : class;

/// <summary>
/// A gradient function, as TensorFlow's <c>@ops.RegisterGradient</c>: given the forward op and
/// the gradients of its outputs, returns one gradient per forward input (null: none).
/// </summary>
public interface IGradientFunction
{
    /// <summary>Builds the gradients of <paramref name="op"/>'s inputs.</summary>
    /// <typeparam name="TTensor">The tensor handle type.</typeparam>
    /// <param name="ops">Emits the ops the gradient needs.</param>
    /// <param name="op">The forward op.</param>
    /// <param name="outputGradients">One gradient per forward output (null where none flows back).</param>
    /// <returns>One gradient per forward input; null where the input gets none.</returns>
    IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
        where TTensor : class;
}

/// <summary>
/// The gradient registry shared by graph mode, eager mode and the native bridge: op type →
/// gradient function, or "not differentiable". Thread-safe.
/// </summary>
/// <remarks>
/// <see cref="RegisterFakeQuantGradients"/> registers TensorFlow Python's definitions for the
/// family (idempotent; called by the graph and eager front ends): each forward op's gradient is
/// its gradient op on <c>(grad, inputs...)</c> with the same attrs, and the three gradient ops are
/// not differentiable (a path through them contributes no gradient, and no error).
/// </remarks>
public static class GradientRegistry
{
    private static readonly ConcurrentDictionary<string, IGradientFunction?> Entries = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="gradient"/> for <paramref name="opType"/>.</summary>
    /// <param name="opType">Op type name.</param>
    /// <param name="gradient">The gradient function.</param>
    /// <param name="replace">Replace an existing registration; otherwise registering a different function twice throws.</param>
    /// <exception cref="InvalidOperationException">Already registered with another function and <paramref name="replace"/> is false.</exception>
    public static void Register(string opType, IGradientFunction gradient, bool replace = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(gradient);
        Set(opType, gradient, replace);
    }

    /// <summary>Marks <paramref name="opType"/> not differentiable (TensorFlow's <c>ops.NotDifferentiable</c>).</summary>
    /// <param name="opType">Op type name.</param>
    /// <param name="replace">Replace an existing gradient function.</param>
    /// <exception cref="InvalidOperationException">A gradient function is registered and <paramref name="replace"/> is false.</exception>
    public static void RegisterNotDifferentiable(string opType, bool replace = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        Set(opType, null, replace);
    }

    /// <summary>Looks up <paramref name="opType"/>.</summary>
    /// <param name="opType">Op type name.</param>
    /// <param name="gradient">The function; null when the op is registered not differentiable.</param>
    /// <returns>Whether the op has any registration.</returns>
    public static bool TryGet(string opType, out IGradientFunction? gradient) => Entries.TryGetValue(opType, out gradient);

    /// <summary>Whether <paramref name="opType"/> is registered as not differentiable.</summary>
    /// <param name="opType">Op type name.</param>
    /// <returns>True for a not-differentiable registration.</returns>
    public static bool IsNotDifferentiable(string opType) => Entries.TryGetValue(opType, out IGradientFunction? g) && g is null;

    /// <summary>Registers the FakeQuant family's gradients as TensorFlow Python does. Idempotent and thread-safe.</summary>
    public static void RegisterFakeQuantGradients()
    {
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            if (op.IsGradient)
            {
                Entries.TryAdd(op.Name, null);
            }
            else
            {
                Entries.TryAdd(op.Name, FakeQuantGradient.Instance);
            }
        }
    }

    private static void Set(string opType, IGradientFunction? gradient, bool replace)
    {
        if (replace)
        {
            Entries[opType] = gradient;
            return;
        }

        IGradientFunction? existing = Entries.GetOrAdd(opType, gradient);
        if (!ReferenceEquals(existing, gradient))
        {
            throw new InvalidOperationException($"A gradient for '{opType}' is already registered; pass replace: true to replace it.");
        }
    }
}

/// <summary>
/// TensorFlow Python's gradient of the three forward FakeQuant ops
/// (<c>array_grad.py</c>): the matching gradient op on <c>(grad, op.inputs...)</c> with the
/// forward op's <c>num_bits</c> / <c>narrow_range</c> (and Args' <c>min</c> / <c>max</c>).
/// </summary>
public sealed class FakeQuantGradient : IGradientFunction
{
    private FakeQuantGradient()
    {
    }

    /// <summary>The single instance.</summary>
    public static FakeQuantGradient Instance { get; } = new();

    /// <inheritdoc />
    /// <exception cref="KeyNotFoundException"><c>op.Type</c> is not a FakeQuant op, or <c>op.Attrs</c> lacks an attr the gradient passes on.</exception>
    /// <exception cref="InvalidOperationException"><c>op.Type</c> is one of the gradient ops (registered not differentiable).</exception>
    /// <exception cref="ArgumentException">The gradient of the forward output is missing (null, or no output gradients at all).</exception>
    public IReadOnlyList<TTensor?> Gradient<TTensor>(IOpEmitter<TTensor> ops, ForwardOp<TTensor> op, IReadOnlyList<TTensor?> outputGradients)
        where TTensor : class
    {
        ArgumentNullException.ThrowIfNull(ops);
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(outputGradients);
        FakeQuantOpDef forward = FakeQuantCatalog.Get(op.Type);
        FakeQuantOpDef gradientOp = FakeQuantCatalog.GradientOf(forward)
            ?? throw new InvalidOperationException($"{op.Type} is a gradient op; it has no gradient.");
        TTensor grad = outputGradients[0] ?? throw new ArgumentException("The forward output's gradient is missing.", nameof(outputGradients));
        var inputs = new List<TTensor>(1 + op.Inputs.Count) { grad };
        inputs.AddRange(op.Inputs);

        // TensorFlow passes exactly the attrs its gradient function reads, in this order.
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal);
        if (forward.HasRangeAttrs)
        {
            attrs["min"] = op.Attrs["min"];
            attrs["max"] = op.Attrs["max"];
        }

        attrs["num_bits"] = op.Attrs["num_bits"];
        attrs["narrow_range"] = op.Attrs["narrow_range"];
        IReadOnlyList<TTensor> result = ops.Emit(gradientOp.Name, inputs, attrs);
        return [.. result];
    }
}
