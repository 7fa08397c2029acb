namespace TfFakeQuant.Native;

/// <summary>TensorFlow's status codes (<c>TF_Code</c> in tf_status.h; the values of <c>error_codes.proto</c>).</summary>
public enum TfCode
{
    /// <summary>TF_OK.</summary>
    Ok = 0,

    /// <summary>TF_CANCELLED.</summary>
    Cancelled = 1,

    /// <summary>TF_UNKNOWN.</summary>
    Unknown = 2,

    /// <summary>TF_INVALID_ARGUMENT: a shape function or kernel check failed.</summary>
    InvalidArgument = 3,

    /// <summary>TF_DEADLINE_EXCEEDED.</summary>
    DeadlineExceeded = 4,

    /// <summary>TF_NOT_FOUND.</summary>
    NotFound = 5,

    /// <summary>TF_ALREADY_EXISTS.</summary>
    AlreadyExists = 6,

    /// <summary>TF_PERMISSION_DENIED.</summary>
    PermissionDenied = 7,

    /// <summary>TF_RESOURCE_EXHAUSTED.</summary>
    ResourceExhausted = 8,

    /// <summary>TF_FAILED_PRECONDITION.</summary>
    FailedPrecondition = 9,

    /// <summary>TF_ABORTED.</summary>
    Aborted = 10,

    /// <summary>TF_OUT_OF_RANGE.</summary>
    OutOfRange = 11,

    /// <summary>TF_UNIMPLEMENTED.</summary>
    Unimplemented = 12,

    /// <summary>TF_INTERNAL.</summary>
    Internal = 13,

    /// <summary>TF_UNAVAILABLE.</summary>
    Unavailable = 14,

    /// <summary>TF_DATA_LOSS.</summary>
    DataLoss = 15,

    /// <summary>TF_UNAUTHENTICATED.</summary>
    Unauthenticated = 16,
}

/// <summary>
/// A TensorFlow C API call returned a non-OK <c>TF_Status</c>. <see cref="Exception.Message"/> is
/// TensorFlow's message verbatim (for graph errors it carries TensorFlow's node suffix, for example
/// <c> for '{{node fq}} = ...'</c> or <c>\n\t [[{{node fq}}]]</c>).
/// </summary>
public sealed class TensorFlowException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">TensorFlow's code.</param>
    /// <param name="message">TensorFlow's message.</param>
    /// <param name="stage">The C API call that failed, for example <c>TF_SessionRun</c>.</param>
    public TensorFlowException(TfCode code, string message, string? stage) : base(message)
    {
        Code = code;
        Stage = stage;
    }

    /// <summary>Creates the exception with code <see cref="TfCode.Unknown"/>.</summary>
    public TensorFlowException() : base("TensorFlow reported an error.")
    {
        Code = TfCode.Unknown;
    }

    /// <summary>Creates the exception with code <see cref="TfCode.Unknown"/>.</summary>
    /// <param name="message">The message.</param>
    public TensorFlowException(string message) : base(message)
    {
        Code = TfCode.Unknown;
    }

    /// <summary>Creates the exception with code <see cref="TfCode.Unknown"/> and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TensorFlowException(string message, Exception innerException) : base(message, innerException)
    {
        Code = TfCode.Unknown;
    }

    /// <summary>TensorFlow's status code.</summary>
    public TfCode Code { get; }

    /// <summary>The C API call that failed (<c>TF_FinishOperation</c>, <c>TF_SessionRun</c>, <c>TFE_Execute</c>, ...), when known.</summary>
    public string? Stage { get; }
}

/// <summary>No usable TensorFlow C library was found; <see cref="Exception.Message"/> lists every place the resolver tried.</summary>
public sealed class TensorFlowNotAvailableException : Exception
{
    /// <summary>Creates the exception with the resolver's diagnostics.</summary>
    /// <param name="message">Where the resolver looked and what it found.</param>
    public TensorFlowNotAvailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a generic text.</summary>
    public TensorFlowNotAvailableException() : base("No TensorFlow C library was found.")
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TensorFlowNotAvailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
