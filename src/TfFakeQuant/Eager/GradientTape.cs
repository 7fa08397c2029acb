using System.Diagnostics.CodeAnalysis;
using NumSharp;
using TfFakeQuant.Ops;
using TfFakeQuant.Quantization;

namespace TfFakeQuant.Eager;

/// <summary>
/// TensorFlow's <c>tf.GradientTape</c> for eager execution over NumSharp arrays: records the
/// registered ops executed through an <see cref="EagerContext"/> while it is active, then walks
/// them backwards with the gradient functions of the shared <see cref="GradientRegistry"/> (the
/// same definitions graph mode uses; here each emitted op runs its registered kernel).
/// </summary>
/// <remarks>
/// <para>Usage, as in Python: <c>using var tape = new GradientTape(); tape.watch(x); var y = EagerOps.fake_quant_with_min_max_vars_per_channel(x, min, max); var g = tape.gradient(y, [x, min, max]);</c>
/// The tape records from construction until <see cref="Dispose"/> (Python's <c>with</c> block);
/// <see cref="gradient(NDArray, IReadOnlyList{NDArray}, NDArray?, UnconnectedGradients)"/> may be called before or after that.</para>
/// <para><b>Identity.</b> Arrays are tracked by <b>reference identity</b> of the <see cref="NDArray"/>
/// object (not by value, not by shared storage): watch the very object you pass to the ops and ask
/// gradients for. Eager outputs are always new objects. A view or copy of a watched array is a
/// different, unwatched array.</para>
/// <para><b>What is recorded.</b> An op executed on this thread while the tape is recording, one of
/// whose inputs is watched or is an output of an op already recorded (TensorFlow's rule); its
/// outputs are then tracked too. Tapes are per thread, as in TensorFlow; a tape object is not
/// thread-safe. The backward pass itself is not recorded (no higher-order gradients). Dispose the
/// tape (<c>using</c>): until then it stays on its thread's tape stack and keeps recording.</para>
/// <para><b>Backward pass.</b> Recorded ops reachable from the targets are visited in reverse
/// execution order; an op whose outputs received no gradient is skipped; missing gradients of its
/// other outputs are zeros. A registered gradient function gives one gradient per input; an op
/// registered not differentiable (the three FakeQuant gradient ops) gives none (<c>null</c>, no
/// error); an op with no registration stops with TensorFlow's <c>gradient registry has no entry
/// for: TYPE</c> (<see cref="KeyNotFoundException"/>). A source not connected to any target gets <c>null</c>.</para>
/// <para><b>Accumulation order.</b> When an array receives several gradients they are added
/// elementwise in float32 with TensorFlow's CPU flush-to-zero (each operand and each sum flushed),
/// left to right in this fixed order: first the target's own seed (its output gradient, or ones),
/// then the contributions of the ops that consumed it, latest executed op first, and within one op
/// in input order.</para>
/// </remarks>
[SuppressMessage("Naming", "CA1707", Justification = "tf.GradientTape's Python names (watch, gradient, output_gradients) are kept so QAT code ports line by line.")]
[NDBorrowed] // The tape references the caller's arrays and the outputs it handed out; it owns none of them.
public sealed class GradientTape : IDisposable
{
    [ThreadStatic]
    private static List<GradientTape>? t_active;

    private readonly Dictionary<NDArray, int> _tracked = new(ReferenceEqualityComparer.Instance); // array → producing op index, -1 for watched
    private readonly List<OpRecord> _ops = [];
    private readonly int _threadId;
    private bool _recording;
    private bool _paused;
    private bool _released;

    /// <summary>Creates a tape and starts recording on the calling thread (Python: entering <c>with tf.GradientTape(...)</c>).</summary>
    /// <param name="persistent">Whether <see cref="gradient(NDArray, IReadOnlyList{NDArray}, NDArray?, UnconnectedGradients)"/> may be called more than once.</param>
    public GradientTape(bool persistent = false)
    {
        GradientRegistry.RegisterFakeQuantGradients();
        Persistent = persistent;
        _threadId = Environment.CurrentManagedThreadId;
        (t_active ??= []).Add(this);
        _recording = true;
    }

    /// <summary>Whether the tape allows several gradient computations.</summary>
    public bool Persistent { get; }

    /// <summary>Whether ops executed now are recorded (between construction and <see cref="Dispose"/>, until a non-persistent tape computes its gradient, outside <see cref="stop_recording"/>).</summary>
    public bool IsRecording => _recording && !_paused;

    /// <summary>The number of op executions recorded so far.</summary>
    public int RecordedOpCount => _ops.Count;

    /// <summary>Ensures <paramref name="tensor"/> is traced by this tape (Python <c>tape.watch</c>).</summary>
    /// <param name="tensor">The array to differentiate with respect to (tracked by reference).</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A non-persistent tape that already computed its gradients (TensorFlow's text).</exception>
    public void watch(NDArray tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ThrowIfReleased();
        _tracked.TryAdd(tensor, -1);
    }

    /// <summary>Watches several arrays (Python <c>tape.watch([a, b])</c>).</summary>
    /// <param name="tensors">The arrays.</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="InvalidOperationException">A non-persistent tape that already computed its gradients.</exception>
    public void watch(params IEnumerable<NDArray> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (NDArray t in tensors)
        {
            watch(t);
        }
    }


    /// <summary>Whether <paramref name="tensor"/> is watched or was produced by an op this tape recorded.</summary>
    /// <param name="tensor">Any array.</param>
    /// <returns>True when traced.</returns>
    public bool IsTraced(NDArray tensor) => tensor is not null && _tracked.ContainsKey(tensor);

    /// <summary>The gradient of <paramref name="target"/> with respect to one source (Python <c>tape.gradient(y, x)</c>).</summary>
    /// <param name="target">The array to differentiate.</param>
    /// <param name="source">The array to differentiate with respect to.</param>
    /// <param name="output_gradients">The gradient of <paramref name="target"/> (same shape); null: ones.</param>
    /// <returns>The gradient, shaped like <paramref name="source"/>; null when not connected.</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape used twice (TensorFlow's text).</exception>
    /// <exception cref="KeyNotFoundException">An op on the path has no gradient registration (TensorFlow's text).</exception>
    /// <param name="unconnected_gradients">What an unconnected source gets: <c>null</c> (TensorFlow's default) or zeros of its shape.</param>
    public NDArray? gradient(NDArray target, NDArray source, NDArray? output_gradients = null,
        UnconnectedGradients unconnected_gradients = UnconnectedGradients.None) =>
        gradient([target], [source], output_gradients is null ? null : [output_gradients], unconnected_gradients)[0];

    /// <summary>The gradients of <paramref name="target"/> with respect to <paramref name="sources"/> (Python <c>tape.gradient(y, [a, b])</c>).</summary>
    /// <param name="target">The array to differentiate.</param>
    /// <param name="sources">The arrays to differentiate with respect to.</param>
    /// <param name="output_gradients">The gradient of <paramref name="target"/> (same shape); null: ones.</param>
    /// <returns>One gradient per source, null where the source is not connected to the target.</returns>
    /// <exception cref="InvalidOperationException">A non-persistent tape used twice (TensorFlow's text).</exception>
    /// <exception cref="KeyNotFoundException">An op on the path has no gradient registration (TensorFlow's text).</exception>
    /// <param name="unconnected_gradients">What an unconnected source gets: <c>null</c> (TensorFlow's default) or zeros of its shape.</param>
    public NDArray?[] gradient(NDArray target, IReadOnlyList<NDArray> sources, NDArray? output_gradients = null,
        UnconnectedGradients unconnected_gradients = UnconnectedGradients.None) =>
        gradient([target], sources, output_gradients is null ? null : [output_gradients], unconnected_gradients);

    /// <summary>
    /// The gradients of the sum of <paramref name="targets"/> with respect to <paramref name="sources"/>
    /// (Python <c>tape.gradient([y1, y2], sources, output_gradients=[g1, g2])</c>).
    /// </summary>
    /// <param name="targets">The arrays to differentiate.</param>
    /// <param name="sources">The arrays to differentiate with respect to.</param>
    /// <param name="output_gradients">One gradient per target (same shape), null entries or null list: ones.</param>
    /// <returns>One gradient per source, null where the source is not connected to any target.</returns>
    /// <exception cref="ArgumentException">The count of <paramref name="output_gradients"/> does not match the targets.</exception>
    /// <exception cref="Ops.InvalidArgumentException">A gradient kernel's check, e.g. an output gradient whose shape is not its target's (TensorFlow's text: as in TensorFlow's tape, the shape is not checked before the kernel).</exception>
    /// <exception cref="InvalidOperationException">A non-persistent tape used twice (TensorFlow's text), or a gradient function returned the wrong number of gradients.</exception>
    /// <exception cref="KeyNotFoundException">An op on the path has no gradient registration (TensorFlow's text).</exception>
    /// <param name="unconnected_gradients">What an unconnected source gets: <c>null</c> (TensorFlow's default) or zeros of its shape.</param>
    public NDArray?[] gradient(IReadOnlyList<NDArray> targets, IReadOnlyList<NDArray> sources, IReadOnlyList<NDArray?>? output_gradients = null,
        UnconnectedGradients unconnected_gradients = UnconnectedGradients.None)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(sources);
        ThrowIfReleased();
        if (output_gradients is not null && output_gradients.Count != targets.Count)
        {
            throw new ArgumentException($"{output_gradients.Count} output gradients for {targets.Count} targets.", nameof(output_gradients));
        }

        if (_recording && !Persistent)
        {
            // TensorFlow: calling gradient inside the context of a non-persistent tape stops recording.
            StopRecording();
        }

        try
        {
            return Backward(targets, sources, output_gradients, unconnected_gradients);
        }
        finally
        {
            if (!Persistent)
            {
                Release();
            }
        }
    }


    /// <summary>
    /// Pauses recording until the returned scope is disposed (Python <c>with tape.stop_recording():</c>):
    /// ops executed meanwhile are not recorded on this tape.
    /// </summary>
    /// <returns>The scope; disposing it resumes recording.</returns>
    /// <exception cref="InvalidOperationException">The tape is not recording (TensorFlow's text).</exception>
    public IDisposable stop_recording()
    {
        if (!IsRecording)
        {
            throw new InvalidOperationException(TfMessages.TapeNotRecording);
        }

        _paused = true;
        return new ResumeRecording(this);
    }

    /// <summary>Stops recording (Python: leaving the <c>with</c> block). The recorded ops stay available to <c>gradient</c>.</summary>
    public void Dispose() => StopRecording();

    /// <summary>Records one op execution on the calling thread's recording tapes that trace one of its inputs.</summary>
    internal static void Record(EagerContext context, string opType, IReadOnlyList<NDArray> inputs, NDArray[] outputs,
        IReadOnlyDictionary<string, object> attrs)
    {
        List<GradientTape>? active = t_active;
        if (active is null || active.Count == 0)
        {
            return;
        }

        active.RemoveAll(static t => !t._recording); // tapes stopped from another thread
        OpRecord? record = null;
        foreach (GradientTape tape in active)
        {
            if (tape._paused || !tape._recording || !tape.TracesAny(inputs))
            {
                continue;
            }

            // Attrs are copied once: a caller reusing its dictionary cannot change the record.
            record ??= new OpRecord(context, opType, [.. inputs], outputs,
                new Dictionary<string, object>(attrs, StringComparer.Ordinal));
            int index = tape._ops.Count;
            tape._ops.Add(record);
            foreach (NDArray output in outputs)
            {
                tape._tracked[output] = index;
            }
        }
    }

    private bool TracesAny(IReadOnlyList<NDArray> inputs)
    {
        foreach (NDArray input in inputs)
        {
            if (_tracked.ContainsKey(input))
            {
                return true;
            }
        }

        return false;
    }

    private NDArray?[] Backward(IReadOnlyList<NDArray> targets, IReadOnlyList<NDArray> sources, IReadOnlyList<NDArray?>? outputGradients,
        UnconnectedGradients unconnected)
    {
        var grads = new Dictionary<NDArray, NDArray>(ReferenceEqualityComparer.Instance);

        // Seeds: the output gradients (or ones), in target order.
        for (int i = 0; i < targets.Count; i++)
        {
            NDArray target = targets[i] ?? throw new ArgumentNullException(nameof(targets), $"Target {i} is null.");
            NDArray? seed = outputGradients?[i];
            // A seed of another shape is not checked here, as in TensorFlow's tape: it reaches the
            // gradient op's kernel, whose shape check raises TensorFlow's text.
            seed ??= ArrayMath.OnesLike(target);

            Accumulate(grads, target, seed);
        }

        // The recorded ops the targets depend on.
        bool[] needed = new bool[_ops.Count];
        var pending = new Stack<NDArray>(targets);
        while (pending.Count > 0)
        {
            NDArray t = pending.Pop();
            if (_tracked.TryGetValue(t, out int producer) && producer >= 0 && !needed[producer])
            {
                needed[producer] = true;
                foreach (NDArray input in _ops[producer].Inputs)
                {
                    pending.Push(input);
                }
            }
        }

        // Reverse execution order is a topological order: every consumer of an op's outputs
        // was recorded after it, so their contributions are complete when the op is visited.
        for (int k = _ops.Count - 1; k >= 0; k--)
        {
            if (!needed[k])
            {
                continue;
            }

            OpRecord op = _ops[k];
            var outGrads = new NDArray?[op.Outputs.Length];
            bool any = false;
            for (int j = 0; j < outGrads.Length; j++)
            {
                if (grads.TryGetValue(op.Outputs[j], out NDArray? g))
                {
                    outGrads[j] = g;
                    any = true;
                }
            }

            if (!any)
            {
                continue;
            }

            if (!GradientRegistry.TryGet(op.Type, out IGradientFunction? function))
            {
                throw new KeyNotFoundException(TfMessages.NoGradientRegistered(op.Type));
            }

            if (function is null)
            {
                continue; // Registered not differentiable: no gradient flows through, and no error.
            }

            for (int j = 0; j < outGrads.Length; j++)
            {
                outGrads[j] ??= ArrayMath.ZerosLike(op.Outputs[j]);
            }

            var forward = new ForwardOp<NDArray>(op.Type, op.Type, op.Inputs, op.Outputs, op.Attrs);
            IReadOnlyList<NDArray?> inGrads = function.Gradient(new EagerContext.Emitter(op.Context), forward, outGrads);
            if (inGrads is null || inGrads.Count != op.Inputs.Length)
            {
                throw new InvalidOperationException(
                    $"The gradient function of '{op.Type}' returned {inGrads?.Count ?? 0} gradients for {op.Inputs.Length} inputs.");
            }

            for (int i = 0; i < inGrads.Count; i++)
            {
                NDArray? g = inGrads[i];
                if (g is not null && _tracked.ContainsKey(op.Inputs[i]))
                {
                    Accumulate(grads, op.Inputs[i], g);
                }
            }
        }

        var result = new NDArray?[sources.Count];
        for (int i = 0; i < result.Length; i++)
        {
            NDArray source = sources[i] ?? throw new ArgumentNullException(nameof(sources), $"Source {i} is null.");
            result[i] = grads.TryGetValue(source, out NDArray? g) ? g
                : unconnected == UnconnectedGradients.Zero ? ArrayMath.ZerosLike(source) : null;
        }

        return result;
    }

    private static void Accumulate(Dictionary<NDArray, NDArray> grads, NDArray tensor, NDArray gradient)
    {
        grads[tensor] = grads.TryGetValue(tensor, out NDArray? existing) ? ArrayMath.Add(existing, gradient) : gradient;
    }

    private void StopRecording()
    {
        if (!_recording)
        {
            return;
        }

        _recording = false;

        // On another thread the creating thread's list cannot be reached; the stopped tape is
        // inert there and is dropped from it the next time that thread records an op.
        if (Environment.CurrentManagedThreadId == _threadId)
        {
            t_active?.Remove(this);
        }
    }

    private void Release()
    {
        _released = true;
        _ops.Clear();
        _tracked.Clear();
    }

    private void ThrowIfReleased()
    {
        if (_released)
        {
            throw new InvalidOperationException(TfMessages.NonPersistentTapeUsed);
        }
    }

    private sealed class ResumeRecording(GradientTape tape) : IDisposable
    {
        private GradientTape? _tape = tape;

        public void Dispose()
        {
            if (_tape is not null)
            {
                _tape._paused = false;
                _tape = null;
            }
        }
    }

    [NDBorrowed]
    private sealed record OpRecord(EagerContext Context, string Type, NDArray[] Inputs, NDArray[] Outputs, IReadOnlyDictionary<string, object> Attrs);
}

/// <summary>What <see cref="GradientTape"/> returns for a source not connected to the target (TensorFlow's <c>tf.UnconnectedGradients</c>).</summary>
public enum UnconnectedGradients
{
    /// <summary><c>null</c> (TensorFlow's <c>NONE</c>, the default).</summary>
    None,

    /// <summary>Zeros of the source's shape (TensorFlow's <c>ZERO</c>).</summary>
    Zero,
}

/// <summary>Small float32 helpers of the tape (ones, zeros, flush-to-zero addition).</summary>
internal static class ArrayMath
{
    public static bool SameShape(NDArray a, NDArray b) => a.shape.AsSpan().SequenceEqual(b.shape);

    public static string ShapeText(NDArray a) => "[" + string.Join(",", a.shape) + "]";

    public static NDArray Filled(NDArray like, float value)
    {
        NDArray filled = NDArrayStore.Create(NDArrayStore.ShapeOf(like));
        NDArrayStore.Write(filled).Fill(value);
        return filled;
    }

    public static NDArray OnesLike(NDArray like) => Filled(like, 1f);

    public static NDArray ZerosLike(NDArray like) => Filled(like, 0f);

    /// <summary>Elementwise <c>a + b</c> in float32 as TensorFlow's CPU add runs it (FTZ/DAZ: operands and sum flushed).</summary>
    public static NDArray Add(NDArray a, NDArray b)
    {
        if (!SameShape(a, b))
        {
            throw new InvalidOperationException($"Cannot add gradients of shapes {ShapeText(a)} and {ShapeText(b)}.");
        }

        NDArray result = NDArrayStore.Create(NDArrayStore.ShapeOf(a));
        ReadOnlySpan<float> x = NDArrayStore.Read(a), y = NDArrayStore.Read(b);
        Span<float> sum = NDArrayStore.Write(result);
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] = Subnormals.Flush(Subnormals.Flush(x[i]) + Subnormals.Flush(y[i]));
        }

        // The spans may point into a's and b's unmanaged storage.
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return result;
    }
}
