using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// A TensorFlow session (<c>TF_Session</c>) over a <see cref="NativeGraph"/>. Before each run,
/// every FakeQuant node the run executes gets this library's kernel checks on its real input
/// shapes (fed, static, or probed with a <c>Shape</c> node), so that inputs TensorFlow 2.21
/// aborts on give a clean <see cref="InvalidArgumentException"/>.
/// </summary>
public sealed unsafe class NativeSession : IDisposable
{
    private readonly NativeGraph _graph;
    private readonly SessionHandle _session;

    /// <summary>Creates a session on <paramref name="graph"/> (CPU, default options).</summary>
    /// <param name="graph">The graph; it must outlive the session.</param>
    /// <exception cref="TensorFlowException">TensorFlow could not create the session.</exception>
    public NativeSession(NativeGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        using TfSafeHandle.Lease g = graph.Borrow();
        using var options = new SessionOptionsHandle();
        using var status = new TfStatus();
        nint session = SessionApi.TF_NewSession(g.Pointer, options.DangerousGetHandle(), status.Pointer);
        status.ThrowIfError("TF_NewSession");
        _session = new SessionHandle(session);
    }

    /// <summary>Whether runs are checked first (internal: tests turn it off only for inputs TensorFlow handles without crashing, to read TensorFlow's own texts).</summary>
    internal bool ValidateWithCatalogue { get; set; } = true;

    /// <summary>Runs the graph: feeds float32 tensors, returns the fetched float32 tensors.</summary>
    /// <param name="feeds">Tensors to feed (placeholders or any float32 output).</param>
    /// <param name="fetches">Outputs to fetch.</param>
    /// <returns>One tensor per fetch.</returns>
    /// <exception cref="InvalidArgumentException">A FakeQuant node's kernel checks failed (TensorFlow's text); TensorFlow was not called.</exception>
    /// <exception cref="TensorFlowException">TensorFlow failed the run (<see cref="TensorFlowException.Stage"/> <c>TF_SessionRun</c>).</exception>
    public IReadOnlyList<FloatTensor> Run(IReadOnlyList<(TfOutput Output, FloatTensor Value)> feeds, IReadOnlyList<TfOutput> fetches)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        ArgumentNullException.ThrowIfNull(fetches);
        if (ValidateWithCatalogue)
        {
            RunGuard.Check(_graph, this, feeds.Select(f => (f.Output, f.Value.Shape)).ToList(), fetches, feeds);
        }

        nint[] results = RunRaw(feeds, fetches);
        var outputs = new FloatTensor[results.Length];
        try
        {
            for (int i = 0; i < results.Length; i++)
            {
                outputs[i] = TensorMarshal.ToManaged(results[i]);
            }
        }
        finally
        {
            foreach (nint t in results)
            {
                if (t != 0)
                {
                    TensorApi.TF_DeleteTensor(t);
                }
            }
        }

        return outputs;
    }

    /// <summary>Runs fetching int shape tensors (the run guard's probes).</summary>
    internal TensorShape[] RunShapes(IReadOnlyList<(TfOutput Output, FloatTensor Value)> feeds, IReadOnlyList<TfOutput> fetches)
    {
        nint[] results = RunRaw(feeds, fetches);
        try
        {
            return results.Select(TensorMarshal.ShapeFromShapeTensor).ToArray();
        }
        finally
        {
            foreach (nint t in results)
            {
                if (t != 0)
                {
                    TensorApi.TF_DeleteTensor(t);
                }
            }
        }
    }

    private nint[] RunRaw(IReadOnlyList<(TfOutput Output, FloatTensor Value)> feeds, IReadOnlyList<TfOutput> fetches)
    {
        var feedHandles = new List<TensorHandle>(feeds.Count);
        try
        {
            foreach ((TfOutput _, FloatTensor value) in feeds)
            {
                feedHandles.Add(TensorMarshal.ToNative(value));
            }

            TF_Output[] inputs = feeds.Select(f => f.Output.Raw).ToArray();
            nint[] inputValues = feedHandles.Select(h => h.DangerousGetHandle()).ToArray();
            TF_Output[] outputs = fetches.Select(f => f.Raw).ToArray();
            var outputValues = new nint[outputs.Length];
            using TfSafeHandle.Lease s = _session.Borrow();
            using var status = new TfStatus();
            fixed (TF_Output* i = inputs)
            fixed (nint* iv = inputValues)
            fixed (TF_Output* o = outputs)
            fixed (nint* ov = outputValues)
            {
                SessionApi.TF_SessionRun(s.Pointer, null, i, iv, inputs.Length, o, ov, outputs.Length, null, 0, null, status.Pointer);
            }

            status.ThrowIfError("TF_SessionRun");
            return outputValues;
        }
        finally
        {
            foreach (TensorHandle h in feedHandles)
            {
                h.Dispose();
            }
        }
    }

    /// <summary>Closes and deletes the session.</summary>
    public void Dispose() => _session.Dispose();
}
