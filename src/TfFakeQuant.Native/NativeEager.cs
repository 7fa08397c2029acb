using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// An eager TensorFlow context (<c>TFE_Context</c>) that runs the six FakeQuant ops immediately
/// (<c>TFE_Execute</c>), as <c>tf.raw_ops</c> does. Inputs are checked with this library's kernel
/// checks first, so inputs TensorFlow 2.21 aborts on give a clean
/// <see cref="InvalidArgumentException"/>.
/// </summary>
public sealed unsafe class NativeEager : IDisposable
{
    private readonly EagerContextHandle _context;

    /// <summary>Creates a context with default options.</summary>
    /// <exception cref="TensorFlowNotAvailableException">No TensorFlow C library was found.</exception>
    /// <exception cref="TensorFlowException">TensorFlow could not create the context.</exception>
    public NativeEager()
    {
        TensorFlowRuntime.EnsureLoaded();
        using var options = new ContextOptionsHandle();
        using var status = new TfStatus();
        nint ctx = EagerApi.TFE_NewContext(options.DangerousGetHandle(), status.Pointer);
        status.ThrowIfError("TFE_NewContext");
        _context = new EagerContextHandle(ctx);
    }

    /// <summary>Whether inputs are checked first (internal: tests turn it off only for inputs TensorFlow handles without crashing).</summary>
    internal bool ValidateWithCatalogue { get; set; } = true;

    /// <summary>Runs one of the six ops eagerly in TensorFlow.</summary>
    /// <param name="opType">Op type name.</param>
    /// <param name="inputs">Inputs in OpDef order.</param>
    /// <param name="attrs">Attrs (null: defaults).</param>
    /// <returns>The outputs in OpDef order.</returns>
    /// <exception cref="InvalidArgumentException">A kernel check failed (TensorFlow's text); TensorFlow was not called.</exception>
    /// <exception cref="TensorFlowException">TensorFlow failed (<see cref="TensorFlowException.Stage"/> <c>TFE_Execute</c>).</exception>
    public IReadOnlyList<FloatTensor> Execute(string opType, IReadOnlyList<FloatTensor> inputs, FakeQuantAttrs? attrs = null)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        attrs ??= FakeQuantAttrs.Default;
        if (inputs.Count != op.InputNames.Count)
        {
            throw new ArgumentException($"{op.Name} takes {op.InputNames.Count} inputs, got {inputs.Count}.", nameof(inputs));
        }

        if (ValidateWithCatalogue)
        {
            KernelChecks.Check(op, attrs, inputs.Select(i => i.Shape).ToArray());
        }

        return Run(op.Name, inputs, attrs.ToDictionary(op), op.OutputNames.Count);
    }

    /// <summary>Runs any float op eagerly (attrs: <see cref="long"/>, <see cref="bool"/>, <see cref="float"/>).</summary>
    internal IReadOnlyList<FloatTensor> Run(string opType, IReadOnlyList<FloatTensor> inputs, IReadOnlyDictionary<string, object> attrs, int outputCount)
    {
        using TfSafeHandle.Lease ctx = _context.Borrow();
        using var status = new TfStatus();
        nint opPtr;
        fixed (byte* t = Utf8.Z(opType))
        {
            opPtr = EagerApi.TFE_NewOp(ctx.Pointer, t, status.Pointer);
        }

        status.ThrowIfError("TFE_NewOp");
        using var op = new EagerOpHandle(opPtr);
        var handles = new List<EagerTensorHandle>();
        try
        {
            foreach (FloatTensor input in inputs)
            {
                using TensorHandle tensor = TensorMarshal.ToNative(input);
                nint h = EagerApi.TFE_NewTensorHandle(tensor.DangerousGetHandle(), status.Pointer);
                status.ThrowIfError("TFE_NewTensorHandle");
                handles.Add(new EagerTensorHandle(h));
                EagerApi.TFE_OpAddInput(opPtr, h, status.Pointer);
                status.ThrowIfError("TFE_OpAddInput");
            }

            foreach ((string key, object value) in attrs)
            {
                fixed (byte* k = Utf8.Z(key))
                {
                    switch (value)
                    {
                        case long l:
                            EagerApi.TFE_OpSetAttrInt(opPtr, k, l);
                            break;
                        case int i:
                            EagerApi.TFE_OpSetAttrInt(opPtr, k, i);
                            break;
                        case bool b:
                            EagerApi.TFE_OpSetAttrBool(opPtr, k, b ? (byte)1 : (byte)0);
                            break;
                        case float f:
                            EagerApi.TFE_OpSetAttrFloat(opPtr, k, f);
                            break;
                        default:
                            throw new ArgumentException($"Attr '{key}': values of type {value?.GetType().Name ?? "null"} are not supported.", nameof(attrs));
                    }
                }
            }

            var retvals = new nint[outputCount];
            int n = outputCount;
            fixed (nint* r = retvals)
            {
                EagerApi.TFE_Execute(opPtr, r, &n, status.Pointer);
            }

            status.ThrowIfError("TFE_Execute");
            for (int i = 0; i < n; i++)
            {
                handles.Add(new EagerTensorHandle(retvals[i]));
            }

            var outputs = new FloatTensor[n];
            for (int i = 0; i < n; i++)
            {
                nint tensor = EagerApi.TFE_TensorHandleResolve(retvals[i], status.Pointer);
                status.ThrowIfError("TFE_TensorHandleResolve");
                using var resolved = new TensorHandle(tensor);
                outputs[i] = TensorMarshal.ToManaged(tensor);
            }

            return outputs;
        }
        finally
        {
            foreach (EagerTensorHandle h in handles)
            {
                h.Dispose();
            }
        }
    }

    /// <summary>Deletes the context.</summary>
    public void Dispose() => _context.Dispose();
}
