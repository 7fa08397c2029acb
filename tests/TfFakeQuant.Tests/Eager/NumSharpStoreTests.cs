// Tests make many small arrays and leave them to the GC; prompt return of pooled buffers does not matter here.
#pragma warning disable NDW012
using NumSharp;
using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Kernels;

namespace TfFakeQuant.Tests.Eager;

/// <summary>
/// The NumSharp overloads of <see cref="FakeQuantOps"/> (and so the eager kernels) read contiguous
/// float32 arrays in place and write new arrays without a zero fill: every op, on every kind of
/// array NumSharp makes (contiguous, an offset slice, a strided view, a broadcast, float64), gives
/// bitwise the outputs of the <see cref="FloatTensor"/> path on the same values, and leaves its
/// inputs as they were.
/// </summary>
[TestFixture]
public class NumSharpStoreTests
{
    /// <summary>How an input is handed over.</summary>
    public enum Form
    {
        Contiguous,
        OffsetSlice,
        Transposed,
        Broadcast,
        DoubleValues,
    }

    // The last is above one sum-tree leaf (2^18 elements): the threaded kernels on NumSharp memory.
    private static readonly long[][] Shapes = [[0, 3], [1], [7], [5, 7], [33, 16], [3, 4, 9], [96, 64], [4200, 64]];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (FakeQuantOpDef op in FakeQuantCatalog.All)
        {
            foreach (Form form in Enum.GetValues<Form>())
            {
                foreach (long[] shape in Shapes)
                {
                    yield return new TestCaseData(op.Name, form, shape).SetName($"{op.Name} {form} [{string.Join(",", shape)}]");
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void NumSharpInputsGiveTheTensorPathsBits(string opName, Form form, long[] shape)
    {
        FakeQuantOpDef op = FakeQuantCatalog.Get(opName);
        var rng = new Random((1000 * (int)op.Kind) + (100 * (int)form) + (10 * shape.Length) + (int)shape[0]);
        long channels = shape[^1];
        var tensors = new List<FloatTensor>();
        foreach (string input in op.InputNames)
        {
            TensorShape s = input is "min" or "max"
                ? op.Kind is FakeQuantOpKind.VarsPerChannel or FakeQuantOpKind.VarsPerChannelGradient ? TensorShape.Of(channels) : TensorShape.Scalar
                : TensorShape.Of(shape);
            float[] values = Values(rng, input, (int)s.NumElements);
            if (form == Form.Broadcast && s.Rank >= 2 && values.Length > 0)
            {
                // Values that repeat along the leading axis, so that a broadcast of the first row holds them.
                int rowLength = values.Length / (int)s[0];
                for (int i = rowLength; i < values.Length; i++)
                {
                    values[i] = values[i % rowLength];
                }
            }

            tensors.Add(new FloatTensor(s, values));
        }

        FakeQuantAttrs attrs = new(8, false, -0.75f, 1.25f);
        FloatTensor[] expected = FakeQuantOps.Execute(op, tensors, attrs);
        NDArray[] arrays = [.. tensors.Select(t => Make(t, form))];
        float[][] before = [.. arrays.Select(Data)];

        NDArray[] actual = FakeQuantOps.Execute(op, arrays, attrs);

        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(actual[i].dtype, Is.EqualTo(typeof(float)), $"output {i} dtype");
            Assert.That(actual[i].shape, Is.EqualTo(expected[i].Shape.Dims.ToArray()), $"output {i} shape");
            KernelData.AssertBitwise(expected[i].Span, Data(actual[i]), $"{opName} output {i}");
        }

        for (int i = 0; i < arrays.Length; i++)
        {
            Assert.That(Data(arrays[i]), Is.EqualTo(before[i]), $"input {i} changed");
        }
    }

    [Test]
    public void OutputsAreNewArrays()
    {
        NDArray g = new(new float[] { 0.5f, -1f, 2f, 3f }, new Shape(2, 2));
        NDArray x = new(new float[] { 0.1f, -3f, 0.2f, 9f }, new Shape(2, 2));
        NDArray min = new(new float[] { -1f, -1f }), max = new(new float[] { 1f, 1f });
        NDArray[] outputs = FakeQuantOps.Execute(FakeQuantCatalog.VarsPerChannelGradient, [g, x, min, max]);

        // [0.5, 0, 2, 0]: the backprop passes g where x is inside [-1, 1].
        Assert.That(Data(outputs[0]), Is.EqualTo(new[] { 0.5f, 0f, 2f, 0f }));
        outputs[0].SetData(7f, 0, 0);
        Assert.That(Data(g), Is.EqualTo(new[] { 0.5f, -1f, 2f, 3f }), "the backprop does not share the gradients' memory");
        Assert.That(Data(outputs[1]), Is.EqualTo(new[] { 0f, -1f }), "min: x[1,0] = -3 is below");
        Assert.That(Data(outputs[2]), Is.EqualTo(new[] { 0f, 3f }), "max: x[1,1] = 9 is above");
    }

    [Test]
    public void ADisposedInputIsRefusedNotRead()
    {
        NDArray x = new(new float[] { 0.5f, -1f, 2f, 3f }, new Shape(4));
        NDArray view = new NDArray(new float[] { 1f, 2f, 3f, 4f, 5f }, new Shape(5))["1:"];
        x.Dispose();
        view.Dispose();
        Assert.Throws<ObjectDisposedException>(() => FakeQuantOps.Args(x));
        Assert.Throws<ObjectDisposedException>(() => FakeQuantOps.ToTensor(x));
        Assert.Throws<ObjectDisposedException>(() => FakeQuantOps.Args(view));
        Assert.Throws<ObjectDisposedException>(() => TfFakeQuant.Eager.EagerOps.fake_quant_with_min_max_args(x));
    }

    /// <summary>Inputs in and around the range, with specials; ranges around zero.</summary>
    private static float[] Values(Random rng, string input, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = input switch
            {
                "min" => -0.5f - (float)rng.NextDouble(),
                "max" => 0.5f + (float)rng.NextDouble(),
                _ when rng.Next(16) == 0 => KernelData.Specials[rng.Next(KernelData.Specials.Length)],
                _ => (float)((rng.NextDouble() * 4) - 2),
            };
        }

        return v;
    }

    /// <summary>A NumSharp array holding <paramref name="t"/>'s values in the given form.</summary>
    private static NDArray Make(FloatTensor t, Form form)
    {
        int[] dims = [.. t.Shape.Dims.ToArray().Select(d => (int)d)];
        float[] data = t.GetArray();
        switch (form)
        {
            case Form.OffsetSlice:
            {
                // Two leading rows of junk, then the values: a contiguous view with an offset.
                int rowLength = dims.Length == 0 ? 1 : dims[1..].Aggregate(1, (p, d) => p * d);
                float[] padded = [.. Enumerable.Repeat(float.NaN, 2 * rowLength), .. data];
                int[] bigger = dims.Length == 0 ? [2 + 1] : [dims[0] + 2, .. dims[1..]];
                NDArray whole = new(padded, new Shape(bigger));
                NDArray view = dims.Length == 0 ? whole["2"] : whole["2:"];
                Assert.That(view.Shape.IsContiguous || data.Length == 0, "NumSharp keeps a leading-axis slice contiguous");
                return view;
            }

            case Form.Transposed when dims.Length >= 2:
            {
                // The transpose of a [.., b, a] array that holds the values transposed: a strided view.
                int a = dims[^2], b = dims[^1];
                var moved = new float[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    int outer = i / (a * b), r = i / b % a, c = i % b;
                    moved[(outer * a * b) + (c * a) + r] = data[i];
                }

                int[] axes = [.. Enumerable.Range(0, dims.Length - 2), dims.Length - 1, dims.Length - 2];
                NDArray view = np.transpose(new NDArray(moved, new Shape([.. dims[..^2], b, a])), axes);
                Assert.That(a > 1 && b > 1 && view.Shape.IsContiguous, Is.False, "a strided view");
                return view;
            }

            case Form.Broadcast when dims.Length >= 2 && data.Length > 0:
            {
                int rowLength = dims[1..].Aggregate(1, (p, d) => p * d);
                NDArray view = np.broadcast_to(new NDArray(data[..rowLength], new Shape(dims[1..])), new Shape(dims));
                Assert.That(view.Shape.IsBroadcasted || dims[0] == 1, "a broadcast view");
                return view;
            }

            case Form.DoubleValues:
                return new NDArray(data.Select(v => (double)v).ToArray(), new Shape(dims));

            default:
                return new NDArray((float[])data.Clone(), new Shape(dims));
        }
    }

    private static float[] Data(NDArray a) =>
        a.size == 0 ? [] : a.dtype == typeof(float) ? a.ToArray<float>() : a.astype(np.float32).ToArray<float>();
}
