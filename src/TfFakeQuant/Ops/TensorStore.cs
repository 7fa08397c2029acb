using NumSharp;

namespace TfFakeQuant.Ops;

/// <summary>
/// How <see cref="FakeQuantOps"/> reads the inputs and makes the outputs of one kind of array, so
/// that one op body serves <see cref="FloatTensor"/> and NumSharp <see cref="NDArray"/> alike
/// (the JIT specializes it per store: the members are static).
/// </summary>
/// <typeparam name="T">The array type.</typeparam>
internal interface ITensorStore<T>
{
    /// <summary>The array's shape.</summary>
    static abstract TensorShape ShapeOf(T tensor);

    /// <summary>The elements in row-major order, valid while <paramref name="tensor"/> is reachable.</summary>
    static abstract ReadOnlySpan<float> Read(T tensor);

    /// <summary>A new float32 array of <paramref name="shape"/> whose elements the caller writes, every one.</summary>
    static abstract T Create(TensorShape shape);

    /// <summary>The elements of an array made by <see cref="Create"/>, in row-major order.</summary>
    static abstract Span<float> Write(T tensor);
}

/// <summary>The store of <see cref="FloatTensor"/>: its own array, no copy.</summary>
internal readonly struct FloatTensorStore : ITensorStore<FloatTensor>
{
    public static TensorShape ShapeOf(FloatTensor tensor) => tensor.Shape;

    public static ReadOnlySpan<float> Read(FloatTensor tensor) => tensor.Span;

    public static FloatTensor Create(TensorShape shape) => FloatTensor.Zeros(shape);

    public static Span<float> Write(FloatTensor tensor) => tensor.Span;
}

/// <summary>
/// The store of NumSharp arrays: a contiguous float32 array is read in place (NumSharp keeps its
/// elements in unmanaged memory, so the span is only valid while the array is reachable: callers
/// keep their inputs alive past the kernel); any other array (another dtype, a strided or
/// broadcast view) is converted to a float32 copy first. Outputs are new NumSharp arrays written
/// in place, without the zero fill (the kernels write every element).
/// </summary>
internal readonly struct NDArrayStore : ITensorStore<NDArray>
{
    public static TensorShape ShapeOf(NDArray tensor)
    {
        var dims = new long[tensor.ndim];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = tensor.shape[i];
        }

        return TensorShape.Of(dims);
    }

    public static unsafe ReadOnlySpan<float> Read(NDArray tensor)
    {
        // NumSharp still hands out a disposed array's released memory; reading it would be a use after free.
        ObjectDisposedException.ThrowIf(tensor.IsDisposed, tensor);
        if (tensor.size == 0)
        {
            return [];
        }

        if (tensor.dtype == typeof(float) && tensor.Shape.IsContiguous && !tensor.Shape.IsBroadcasted)
        {
            return new ReadOnlySpan<float>(tensor.Unsafe.Address, SpanLength(tensor));
        }

        if (tensor.dtype == typeof(float))
        {
            return tensor.ToArray<float>();
        }

        using NDArray converted = tensor.astype(np.float32);
        return converted.ToArray<float>();
    }

    public static NDArray Create(TensorShape shape) => new(typeof(float), new Shape(shape.Dims.ToArray()), false);

    public static unsafe Span<float> Write(NDArray tensor) =>
        tensor.size == 0 ? [] : new Span<float>(tensor.Unsafe.Address, SpanLength(tensor));

    private static int SpanLength(NDArray tensor) =>
        tensor.size <= Array.MaxLength
            ? (int)tensor.size
            : throw new ArgumentException($"An array of {tensor.size} elements is more than one span can hold ({Array.MaxLength}).", nameof(tensor));
}
