using System.Text;

namespace TfFakeQuant.Ops;

/// <summary>
/// A TensorFlow shape, possibly partial: unknown rank (<see cref="Unknown"/>) or unknown
/// dimensions (<see cref="UnknownDim"/>, -1). Dimensions are 64-bit as in TensorFlow.
/// Immutable; equality compares rank and dimensions.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    /// <summary>The value of a dimension whose size is not known statically.</summary>
    public const long UnknownDim = -1;

    private readonly long[]? _dims;

    private TensorShape(long[]? dims) => _dims = dims;

    /// <summary>A shape of unknown rank.</summary>
    public static TensorShape Unknown { get; } = new(null);

    /// <summary>The rank-0 shape <c>[]</c>.</summary>
    public static TensorShape Scalar { get; } = new([]);

    /// <summary>Creates a shape of known rank.</summary>
    /// <param name="dims">Dimension sizes: non-negative, or <see cref="UnknownDim"/>.</param>
    /// <returns>The shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below -1.</exception>
    public static TensorShape Of(params ReadOnlySpan<long> dims)
    {
        foreach (long d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(d, UnknownDim, nameof(dims));
        }

        return new TensorShape(dims.ToArray());
    }

    /// <summary>Creates a shape of known rank from 32-bit dimensions.</summary>
    /// <param name="dims">Dimension sizes: non-negative, or -1 for unknown.</param>
    /// <returns>The shape.</returns>
    public static TensorShape Of(params ReadOnlySpan<int> dims)
    {
        var wide = new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(dims[i], -1, nameof(dims));
            wide[i] = dims[i];
        }

        return new TensorShape(wide);
    }

    /// <summary>The rank, or -1 when unknown.</summary>
    public int Rank => _dims?.Length ?? -1;

    /// <summary>Whether the rank is known.</summary>
    public bool IsRankKnown => _dims is not null;

    /// <summary>Whether the rank and every dimension are known.</summary>
    public bool IsFullyDefined => _dims is not null && Array.IndexOf(_dims, UnknownDim) < 0;

    /// <summary>The dimensions (empty for unknown rank; check <see cref="IsRankKnown"/>).</summary>
    public ReadOnlySpan<long> Dims => _dims;

    /// <summary>Dimension <paramref name="index"/>; negative indices count from the end.</summary>
    /// <param name="index">Index into the dimensions.</param>
    /// <returns>The size, or <see cref="UnknownDim"/>.</returns>
    public long this[int index]
    {
        get
        {
            long[] dims = _dims ?? throw new InvalidOperationException("The rank of this shape is unknown.");
            return dims[index < 0 ? dims.Length + index : index];
        }
    }

    /// <summary>
    /// The element count of a fully defined shape (1 for a scalar).
    /// </summary>
    /// <exception cref="InvalidOperationException">The shape is partial.</exception>
    /// <exception cref="OverflowException">The count does not fit a 64-bit integer.</exception>
    public long NumElements
    {
        get
        {
            if (!IsFullyDefined)
            {
                throw new InvalidOperationException($"Shape {this} is not fully defined.");
            }

            long n = 1;
            foreach (long d in _dims!)
            {
                n = checked(n * d);
            }

            return n;
        }
    }

    /// <summary>
    /// The per-channel view <c>[rows, channels]</c> of a fully defined shape of rank ≥ 1, the
    /// channel the last dimension. Rows are 64-bit: a tensor may hold more than 2^31 elements.
    /// </summary>
    /// <returns>Rows (product of the leading dimensions) and channels.</returns>
    /// <exception cref="InvalidOperationException">The rank is unknown or 0, or a dimension is unknown.</exception>
    /// <exception cref="OverflowException">The row count does not fit a 64-bit integer.</exception>
    public (long Rows, long Channels) AsMatrix()
    {
        if (!IsFullyDefined)
        {
            throw new InvalidOperationException($"Shape {this} is not fully defined.");
        }

        if (Rank < 1)
        {
            throw new InvalidOperationException($"Shape {this} has no last dimension.");
        }

        long channels = _dims![^1];
        long rows = 1;
        for (int i = 0; i < _dims.Length - 1; i++)
        {
            rows = checked(rows * _dims[i]);
        }

        return (rows, channels);
    }

    /// <summary>Formats as TensorFlow does in messages: <c>[4,3]</c>, <c>[]</c>, <c>[?,3]</c>, <c>?</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (_dims is null)
        {
            return "?";
        }

        var sb = new StringBuilder("[");
        for (int i = 0; i < _dims.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(_dims[i] == UnknownDim ? "?" : _dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.Append(']').ToString();
    }

    /// <inheritdoc />
    public bool Equals(TensorShape? other) =>
        other is not null && (_dims is null ? other._dims is null : other._dims is not null && _dims.AsSpan().SequenceEqual(other._dims));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_dims is null)
        {
            return -1;
        }

        var h = new HashCode();
        foreach (long d in _dims)
        {
            h.Add(d);
        }

        return h.ToHashCode();
    }
}
