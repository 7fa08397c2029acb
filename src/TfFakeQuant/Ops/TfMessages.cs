namespace TfFakeQuant.Ops;

/// <summary>
/// Every TensorFlow error text this library reproduces, in one place. The texts are those of
/// TensorFlow 2.21's kernels and shape functions, checked against recorded runs.
/// </summary>
internal static class TfMessages
{
    // ---- kernel checks (eager and graph run time) ----

    /// <summary>Args ops: <c>!(min &lt; max)</c>, the bounds as the kernel sees them (flushed).</summary>
    public static string ArgsMinNotBelowMax(float min, float max) =>
        $"min has to be smaller than max, was: {CFormat.G(min)} >= {CFormat.G(max)}";

    public const string NumBitsRange = "num_bits must be between 2 and 16, inclusive";

    /// <summary>An int64 attr that does not fit the int32 the kernel reads.</summary>
    public static string AttrOutOfInt32Range(string attr, long value) =>
        $"Attr {attr} has value {value} out of range for an int32";

    /// <summary>ArgsGradient's shape check; <paramref name="node"/> is the node name (the op type in eager).</summary>
    public static string ArgsGradientShapes(string node, TensorShape gradients, TensorShape inputs) =>
        $"Inputs to operation {node} of type FakeQuantWithMinMaxArgsGradient must have the same size and shape.  Input 0: {gradients} != input 1: {inputs}";

    public const string GradientInputSameSize = "gradient and input must be the same size";

    /// <summary>ArgsGradient on inputs of rank above 8 (its kernel's rank dispatch).</summary>
    public static string ElementwiseRank(int rank) => $"We only handle up to Tensor::dims() up to 8, not {rank}";

    /// <summary>Vars ops: <c>`min` must be rank 0 but is rank N</c> (and per channel, rank 1).</summary>
    public static string RangeRank(string which, int expected, int actual) =>
        $"`{which}` must be rank {expected} but is rank {actual}";

    /// <summary>Per-channel ops: <c>min has incorrect size, expected D was M</c>.</summary>
    public static string RangeSize(string which, long expected, long actual) =>
        $"{which} has incorrect size, expected {expected} was {actual}";

    // ---- shape functions (graph construction); also the text for rank-0 per-channel inputs ----

    public static string RankAtLeast(int required, int actual) => $"Shape must be at least rank {required} but is rank {actual}";

    public static string RankAtMost(int required, int actual) => $"Shape must be at most rank {required} but is rank {actual}";

    public static string RankExactly(int required, int actual) => $"Shape must be rank {required} but is rank {actual}";

    public static string EqualRank(int a, int b) => $"Shapes must be equal rank, but are {a} and {b}";

    public static string ShapeDimension(int index, long a, long b, TensorShape s1, TensorShape s2) =>
        $"Dimension {index} in both shapes must be equal, but are {a} and {b}. Shapes are {s1} and {s2}.";

    public static string DimensionsEqual(long a, long b) => $"Dimensions must be equal, but are {a} and {b}";

    // ---- graph mode (gradients_util.py, placeholder kernel, session feeds) ----

    /// <summary>
    /// <c>tf.gradients</c> on a path through an op with no registered gradient (Python's
    /// <c>LookupError</c>; TensorFlow's text has no space before the quote).
    /// </summary>
    public static string NoGradientDefined(string nodeName, string opType) =>
        $"No gradient defined for operation'{nodeName}' (op type: {opType}). " +
        "In general every operation must have an associated `@tf.RegisterGradient` for correct autodiff, which this " +
        "op is lacking. If you want to pretend this operation is a constant in your program, you may insert " +
        "`tf.stop_gradient`. This can be useful to silence the error in cases where you know gradients are not needed, " +
        "e.g. the forward pass of tf.custom_gradient. Please see more details in " +
        "https://www.tensorflow.org/api_docs/python/tf/custom_gradient.";

    /// <summary>The Placeholder kernel run without a feed (the shape part only when the rank is known).</summary>
    public static string MustFeedPlaceholder(string nodeName, string dtype, TensorShape shape) =>
        shape.IsRankKnown
            ? $"You must feed a value for placeholder tensor '{nodeName}' with dtype {dtype} and shape {shape}"
            : $"You must feed a value for placeholder tensor '{nodeName}' with dtype {dtype}";

    /// <summary>Session.run's check of a fed value against the tensor's static shape (Python tuple notation).</summary>
    public static string CannotFeedShape(TensorShape fed, string tensorName, TensorShape expected) =>
        $"Cannot feed value of shape {PythonShape(fed)} for Tensor {tensorName}, which has shape {PythonShape(expected)}";

    /// <summary>The Fill kernel's checks of its inputs.</summary>
    public static string FillDimsNotVector(TensorShape dims) => $"dims must be a vector, got shape {dims}";

    public static string FillValueNotScalar(TensorShape value) => $"value must be a scalar, got shape {value}";

    /// <summary>AddN's same-shape check (the wording of TensorFlow's binary-op shape checks).</summary>
    public static string AddNShapes(string node, int index, TensorShape first, TensorShape other) =>
        $"Inputs to operation {node} of type AddN must have the same size and shape.  Input 0: {first} != input {index}: {other}";

    private static string PythonShape(TensorShape s)
    {
        if (!s.IsRankKnown)
        {
            return "<unknown>";
        }

        var parts = new string[s.Rank];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = s[i] == TensorShape.UnknownDim ? "None" : s[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return parts.Length == 1 ? $"({parts[0]},)" : $"({string.Join(", ", parts)})";
    }

    // ---- eager gradient tape (TensorFlow Python's GradientTape and gradient registry) ----

    /// <summary><c>GradientTape.gradient</c> called a second time on a non-persistent tape (a <c>RuntimeError</c>).</summary>
    public const string NonPersistentTapeUsed =
        "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";

    /// <summary>
    /// <c>GradientTape.stop_recording</c> on an entered tape that is not recording (a <c>ValueError</c>
    /// from <c>_pop_tape</c>: inside another <c>stop_recording</c>, after the context exited, or after a
    /// non-persistent tape's gradient). Its <c>RuntimeError</c> text ("Trying to stop recording a tape
    /// which is not recording.") is only for a tape never entered, which a .NET tape cannot be: it
    /// records from construction.
    /// </summary>
    public const string TapeNotRecording = "Tape is not recording.";

    /// <summary>The tape met an op with no gradient registration (a <c>LookupError</c> from the gradient registry).</summary>
    public static string NoGradientRegistered(string opType) => $"gradient registry has no entry for: {opType}";
}
