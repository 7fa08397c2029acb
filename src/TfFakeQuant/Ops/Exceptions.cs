namespace TfFakeQuant.Ops;

/// <summary>
/// TensorFlow's <c>InvalidArgumentError</c>: a kernel check failed. <see cref="Exception.Message"/>
/// is TensorFlow's text for that check, verbatim.
/// </summary>
public class InvalidArgumentException : ArgumentException
{
    /// <summary>Creates the exception with TensorFlow's text.</summary>
    /// <param name="message">The check's text, as TensorFlow words it.</param>
    public InvalidArgumentException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with TensorFlow's text and a cause.</summary>
    /// <param name="message">The check's text.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidArgumentException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic text.</summary>
    public InvalidArgumentException() : base("Invalid argument")
    {
    }
}

/// <summary>
/// A shape function failed while a node was added to a graph (Python raises <c>ValueError</c>,
/// the C API returns <c>INVALID_ARGUMENT</c> from <c>TF_FinishOperation</c>); also raised, with
/// TensorFlow's graph text, where TensorFlow 2.21 would abort its process on a rank-0 per-channel
/// input. <see cref="Exception.Message"/> is the core text (TensorFlow's own message appends the
/// node and its input shapes; see <see cref="NodeDescription"/>).
/// </summary>
public class ShapeInferenceException : InvalidArgumentException
{
    /// <summary>Creates the exception with TensorFlow's shape-function text.</summary>
    /// <param name="message">The core text, for example <c>Shape must be at least rank 1 but is rank 0</c>.</param>
    public ShapeInferenceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the core text and TensorFlow's node suffix.</summary>
    /// <param name="message">The core text.</param>
    /// <param name="nodeDescription">The <c> for '{{node ...}} = ...' with input shapes: ...</c> suffix, or null.</param>
    public ShapeInferenceException(string message, string? nodeDescription) : base(message)
    {
        NodeDescription = nodeDescription;
    }

    /// <summary>Creates the exception with a text and a cause.</summary>
    /// <param name="message">The core text.</param>
    /// <param name="innerException">The cause.</param>
    public ShapeInferenceException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic text.</summary>
    public ShapeInferenceException() : base("Shape inference failed")
    {
    }

    /// <summary>TensorFlow's suffix naming the node and its input shapes, when known.</summary>
    public string? NodeDescription { get; }

    /// <summary>The full text as TensorFlow prints it: the core text followed by <see cref="NodeDescription"/>.</summary>
    public string RawMessage => NodeDescription is null ? Message : Message + NodeDescription;
}
