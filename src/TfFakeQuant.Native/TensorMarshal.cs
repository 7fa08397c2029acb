using TfFakeQuant.Native.Interop;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Native;

/// <summary>Copies between <see cref="FloatTensor"/> and <c>TF_Tensor</c> (float32, row-major on both sides).</summary>
internal static unsafe class TensorMarshal
{
    /// <summary>A new TF_Tensor (DT_FLOAT) holding a copy of <paramref name="tensor"/>.</summary>
    public static TensorHandle ToNative(FloatTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ReadOnlySpan<long> dims = tensor.Shape.Dims;
        nuint bytes = (nuint)tensor.Length * sizeof(float);
        nint t;
        fixed (long* d = dims)
        {
            t = TensorApi.TF_AllocateTensor((int)TF_DataType.TF_FLOAT, d, dims.Length, bytes);
        }

        if (t == 0)
        {
            throw new TensorFlowException(TfCode.ResourceExhausted, $"TF_AllocateTensor failed for a float tensor of shape {tensor.Shape}.", "TF_AllocateTensor");
        }

        var handle = new TensorHandle(t);
        if (bytes > 0)
        {
            void* data = TensorApi.TF_TensorData(t);
            tensor.Span.CopyTo(new Span<float>(data, tensor.Length));
        }

        return handle;
    }

    /// <summary>The shape of a TF_Tensor.</summary>
    public static TensorShape ShapeOf(nint tensor)
    {
        int rank = TensorApi.TF_NumDims(tensor);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = TensorApi.TF_Dim(tensor, i);
        }

        return TensorShape.Of(dims);
    }

    /// <summary>Copies a DT_FLOAT TF_Tensor into a new <see cref="FloatTensor"/> (does not delete it).</summary>
    public static FloatTensor ToManaged(nint tensor)
    {
        int dtype = TensorApi.TF_TensorType(tensor);
        if (dtype != (int)TF_DataType.TF_FLOAT)
        {
            throw new InvalidOperationException($"Expected a float32 tensor (TF_DataType {(int)TF_DataType.TF_FLOAT}), got TF_DataType {dtype}.");
        }

        var result = FloatTensor.Zeros(ShapeOf(tensor));
        nuint bytes = TensorApi.TF_TensorByteSize(tensor);
        if ((long)bytes != (long)result.Length * sizeof(float))
        {
            throw new InvalidOperationException($"Tensor of shape {result.Shape} holds {bytes} bytes.");
        }

        if (result.Length > 0)
        {
            new ReadOnlySpan<float>(TensorApi.TF_TensorData(tensor), result.Length).CopyTo(result.Span);
        }

        return result;
    }

    /// <summary>Reads an int64 vector TF_Tensor (a <c>Shape</c> op's output) as a shape.</summary>
    public static TensorShape ShapeFromShapeTensor(nint tensor)
    {
        int dtype = TensorApi.TF_TensorType(tensor);
        int n = checked((int)TensorApi.TF_Dim(tensor, 0));
        void* data = TensorApi.TF_TensorData(tensor);
        var dims = new long[n];
        if (dtype == (int)TF_DataType.TF_INT64)
        {
            new ReadOnlySpan<long>(data, n).CopyTo(dims);
        }
        else
        {
            var ints = new ReadOnlySpan<int>(data, n);
            for (int i = 0; i < n; i++)
            {
                dims[i] = ints[i];
            }
        }

        return TensorShape.Of(dims);
    }
}
