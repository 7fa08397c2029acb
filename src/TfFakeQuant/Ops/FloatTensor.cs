namespace TfFakeQuant.Ops;

/// <summary>
/// A dense float32 tensor in host memory: a fully defined <see cref="TensorShape"/> and its
/// elements in row-major (C) order. This is the op level's data type; NumSharp arrays convert
/// to and from it (see <see cref="FakeQuantOps"/>).
/// </summary>
/// <remarks>
/// The elements live in one .NET array, so a tensor holds at most <see cref="Array.MaxLength"/>
/// elements; shapes and index arithmetic are 64-bit.
/// </remarks>
public sealed class FloatTensor
{
    private readonly float[] _data;

    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <param name="shape">A fully defined shape.</param>
    /// <param name="data">Exactly <c>shape.NumElements</c> elements.</param>
    /// <exception cref="ArgumentException">The shape is partial, its element count overflows 64 bits, or it does not match the data length.</exception>
    public FloatTensor(TensorShape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (!shape.IsFullyDefined)
        {
            throw new ArgumentException($"A tensor needs a fully defined shape, got {shape}.", nameof(shape));
        }

        long n = ElementCount(shape);
        if (n != data.Length)
        {
            throw new ArgumentException($"Shape {shape} holds {n} elements, the data {data.Length}.", nameof(data));
        }

        Shape = shape;
        _data = data;
    }

    /// <summary>A zero-filled tensor of <paramref name="shape"/>.</summary>
    /// <param name="shape">A fully defined shape.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape is partial or too large for one array (more than <see cref="Array.MaxLength"/> elements, or a count past 64 bits); nothing is allocated then.</exception>
    public static FloatTensor Zeros(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!shape.IsFullyDefined)
        {
            throw new ArgumentException($"A tensor needs a fully defined shape, got {shape}.", nameof(shape));
        }

        long n = ElementCount(shape);
        if (n > Array.MaxLength)
        {
            throw new ArgumentException($"Shape {shape} has {n} elements, more than one array can hold ({Array.MaxLength}).", nameof(shape));
        }

        return new FloatTensor(shape, new float[n]);
    }

    /// <summary>The element count of a fully defined shape; a count past 64 bits is an <see cref="ArgumentException"/>, not an overflow.</summary>
    private static long ElementCount(TensorShape shape)
    {
        try
        {
            return shape.NumElements;
        }
        catch (OverflowException ex)
        {
            throw new ArgumentException($"Shape {shape} has more elements than a 64-bit count can hold.", nameof(shape), ex);
        }
    }

    /// <summary>A rank-0 tensor.</summary>
    /// <param name="value">Its value.</param>
    /// <returns>The tensor.</returns>
    public static FloatTensor Scalar(float value) => new(TensorShape.Scalar, [value]);

    /// <summary>A rank-1 tensor holding a copy of <paramref name="values"/>.</summary>
    /// <param name="values">The elements.</param>
    /// <returns>The tensor.</returns>
    public static FloatTensor Vector(params ReadOnlySpan<float> values) => new(TensorShape.Of((long)values.Length), values.ToArray());

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The elements, row-major.</summary>
    public Span<float> Span => _data;

    /// <summary>The elements, row-major.</summary>
    public Memory<float> Memory => _data;

    /// <summary>The number of elements.</summary>
    public int Length => _data.Length;

    /// <summary>Element <paramref name="index"/> in row-major order.</summary>
    /// <param name="index">Flat index.</param>
    public float this[int index] => _data[index];

    /// <summary>The element array itself (not a copy).</summary>
    /// <returns>The backing array.</returns>
    public float[] GetArray() => _data;

    /// <inheritdoc />
    public override string ToString() => $"FloatTensor{Shape}";
}
