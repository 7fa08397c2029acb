using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>
/// One output of an operation in a <see cref="NativeGraph"/>: TensorFlow's <c>TF_Output</c>
/// (<c>TF_Operation*</c>, index). The tensor handle of the native bridge's gradient emitter.
/// </summary>
public sealed class TfOutput : IEquatable<TfOutput>
{
    internal TfOutput(NativeGraph graph, nint operation, int index)
    {
        Graph = graph;
        Operation = operation;
        Index = index;
    }

    /// <summary>The graph the operation belongs to.</summary>
    public NativeGraph Graph { get; }

    internal nint Operation { get; }

    /// <summary>Output index on the operation.</summary>
    public int Index { get; }

    internal TF_Output Raw => new(Operation, Index);

    /// <summary>
    /// Raw-handle entry point: the <c>TF_Operation*</c> (for TensorFlow.NET,
    /// <c>new Operation(handle)</c>; with <see cref="Index"/> it is the <c>TF_Output</c> that
    /// <c>tensor._as_tf_output()</c> gives). Valid while the graph lives.
    /// </summary>
    public IntPtr OperationHandle => Operation;

    /// <summary>The operation's name (<c>TF_OperationName</c>).</summary>
    public unsafe string OperationName => Utf8.Read(GraphApi.TF_OperationName(Operation)) ?? string.Empty;

    /// <summary>The operation's type (<c>TF_OperationOpType</c>).</summary>
    public unsafe string OperationType => Utf8.Read(GraphApi.TF_OperationOpType(Operation)) ?? string.Empty;

    /// <summary>The static shape TensorFlow inferred (unknown rank / dims where it could not).</summary>
    public TensorShape StaticShape => Graph.GetStaticShape(this);

    /// <inheritdoc />
    public bool Equals(TfOutput? other) => other is not null && other.Operation == Operation && other.Index == Index;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TfOutput);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Operation, Index);

    /// <summary>TensorFlow's tensor name, <c>op:index</c>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => $"{OperationName}:{Index}";
}
