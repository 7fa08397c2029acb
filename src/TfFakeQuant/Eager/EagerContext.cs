using NumSharp;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Eager;

/// <summary>
/// An eager execution context: runs an op by type name with the managed kernel registered for
/// it (<see cref="Kernels"/>) and records the execution on every active <see cref="GradientTape"/>
/// of the calling thread, as TensorFlow's eager runtime does.
/// </summary>
/// <remarks>
/// A new context has the six FakeQuant kernels registered and makes sure the FakeQuant gradients
/// are in the shared <see cref="GradientRegistry"/>. <see cref="Default"/> is created on first
/// use (thread-safe, no static constructor). Arrays are NumSharp <see cref="NDArray"/>s; the
/// FakeQuant kernels compute in float32 and return float32 arrays (other input dtypes are
/// converted to float32 first).
/// </remarks>
public sealed class EagerContext
{
    private static readonly Lazy<EagerContext> DefaultContext = new(() => new EagerContext(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Creates a context with its own kernel registry holding the six FakeQuant kernels.</summary>
    public EagerContext()
        : this(new KernelRegistry())
    {
    }

    /// <summary>Creates a context over <paramref name="kernels"/>, adding the FakeQuant kernels to it (idempotent).</summary>
    /// <param name="kernels">The kernel registry to run ops with.</param>
    /// <exception cref="ArgumentNullException"><paramref name="kernels"/> is null.</exception>
    public EagerContext(KernelRegistry kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        Kernels = kernels;
        Kernels.RegisterFakeQuantKernels();
        GradientRegistry.RegisterFakeQuantGradients();
    }

    /// <summary>The process-wide context the op-level functions (<see cref="EagerOps"/>, <see cref="quantization"/>) use.</summary>
    public static EagerContext Default => DefaultContext.Value;

    /// <summary>The kernels this context runs; register kernels for other op names here.</summary>
    public KernelRegistry Kernels { get; }

    /// <summary>
    /// Runs <paramref name="opType"/> eagerly: looks up its kernel, runs it, and records the
    /// execution on each recording <see cref="GradientTape"/> of this thread that watches one of
    /// the inputs (directly or through earlier recorded ops).
    /// </summary>
    /// <param name="opType">TensorFlow op type name, for example <c>FakeQuantWithMinMaxVarsPerChannel</c>.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">Attrs by TensorFlow attr name; null: none (FakeQuant ops take TensorFlow's defaults for missing attrs).</param>
    /// <returns>The outputs in OpDef order (fresh arrays).</returns>
    /// <exception cref="KeyNotFoundException">No kernel is registered for <paramref name="opType"/>.</exception>
    /// <exception cref="InvalidArgumentException">A FakeQuant kernel check failed (TensorFlow's eager text).</exception>
    /// <exception cref="InvalidOperationException">A user kernel returned null outputs.</exception>
    public NDArray[] Execute(string opType, IReadOnlyList<NDArray> inputs, IReadOnlyDictionary<string, object>? attrs = null)
    {
        (NDArray[] outputs, IReadOnlyDictionary<string, object> fullAttrs) = Run(opType, inputs, attrs);
        GradientTape.Record(this, opType, inputs, outputs, fullAttrs);
        return outputs;
    }

    /// <summary>Runs an op without recording it (the tape's backward pass).</summary>
    internal NDArray[] ExecuteUnrecorded(string opType, IReadOnlyList<NDArray> inputs, IReadOnlyDictionary<string, object>? attrs) =>
        Run(opType, inputs, attrs).Outputs;

    private (NDArray[] Outputs, IReadOnlyDictionary<string, object> Attrs) Run(string opType, IReadOnlyList<NDArray> inputs,
        IReadOnlyDictionary<string, object>? attrs)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!Kernels.TryGet(opType, out EagerKernel? kernel))
        {
            throw new KeyNotFoundException($"No eager kernel is registered for op type '{opType}'.");
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
            {
                throw new ArgumentNullException(nameof(inputs), $"Input {i} of {opType} is null.");
            }
        }

        // FakeQuant ops: complete the attrs with TensorFlow's defaults, so that the recorded op
        // carries every attr its gradient function reads (num_bits as int64, as in a NodeDef).
        IReadOnlyDictionary<string, object> fullAttrs = FakeQuantCatalog.TryGet(opType, out FakeQuantOpDef? op)
            ? FakeQuantAttrs.FromDictionary(attrs ?? EmptyAttrs).ToDictionary(op)
            : attrs ?? EmptyAttrs;

        NDArray[] outputs = kernel(inputs, fullAttrs)
            ?? throw new InvalidOperationException($"The kernel of '{opType}' returned null.");
        outputs = (NDArray[])outputs.Clone();
        for (int i = 0; i < outputs.Length; i++)
        {
            NDArray output = outputs[i] ?? throw new InvalidOperationException($"The kernel of '{opType}' returned a null output {i}.");

            // Array identity is what the tape tracks: an output must be a new array, never an
            // input or another output (a kernel that forwards its input gets a copy here).
            if (AliasesEarlier(output, inputs, outputs, i))
            {
                outputs[i] = output.copy();
            }
        }

        return (outputs, fullAttrs);
    }

    private static bool AliasesEarlier(NDArray output, IReadOnlyList<NDArray> inputs, NDArray[] outputs, int index)
    {
        for (int j = 0; j < inputs.Count; j++)
        {
            if (ReferenceEquals(inputs[j], output))
            {
                return true;
            }
        }

        for (int j = 0; j < index; j++)
        {
            if (ReferenceEquals(outputs[j], output))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly IReadOnlyDictionary<string, object> EmptyAttrs = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>The <see cref="IOpEmitter{TTensor}"/> of eager mode: emitting an op runs its registered kernel (unrecorded).</summary>
    internal sealed class Emitter(EagerContext context) : IOpEmitter<NDArray>
    {
        public IReadOnlyList<NDArray> Emit(string opType, IReadOnlyList<NDArray> inputs, IReadOnlyDictionary<string, object> attrs) =>
            context.ExecuteUnrecorded(opType, inputs, attrs);
    }
}
