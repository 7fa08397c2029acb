using TfFakeQuant.Ops;
using TfFakeQuant.Tests.Reliability;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// Fuzz targets of the op level: <see cref="FakeQuantOps.Execute(FakeQuantOpDef, IReadOnlyList{FloatTensor}, FakeQuantAttrs?, string?)"/>
/// with random and mutated shapes, attrs and data; tensor and shape construction; shape
/// inference; attr dictionaries. A successful call is checked against the scalar reference, a
/// failed one against SPEC.md's check order (<see cref="CheckOrderModel"/>).
/// </summary>
internal static class OpTargets
{
    private static bool IsArgumentFamily(Exception ex) => ex is ArgumentException;

    /// <summary>Builds a tensor of <paramref name="dims"/> through the public constructor (a call of its own).</summary>
    public static FloatTensor? Tensor(FuzzContext f, long[] dims)
    {
        FloatTensor? t = null;
        f.Call("FloatTensor", () =>
        {
            var shape = TensorShape.Of(dims);
            long n = 1;
            bool overflow = false;
            foreach (long d in dims)
            {
                try
                {
                    n = checked(n * d);
                }
                catch (OverflowException)
                {
                    overflow = true;
                }
            }

            // Mostly the right data length; sometimes a wrong one, which the constructor must reject.
            int length = overflow || n > 1_000_000 ? f.Int(0, 3) : f.Chance(0.03) ? (int)Math.Max(0, n + f.Int(-2, 2)) : (int)n;
            bool fits = !overflow && length == n;
            t = new FloatTensor(shape, f.Floats(length));
            if (!fits)
            {
                f.Wrong("FloatTensor", $"accepted {length} elements for shape {shape}");
            }
        }, IsArgumentFamily);
        return t;
    }

    public static void Execute(FuzzContext f)
    {
        FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
        long[] x = f.Dims();
        long d = x.Length == 0 ? 1 : x[^1];
        long[] Mutate(long[] good) => f.Chance(0.12) ? f.Dims(64) : good;
        long[] range = op.IsPerChannel ? [d] : [];
        long[][] shapes = op.Kind switch
        {
            FakeQuantOpKind.Args => [x],
            FakeQuantOpKind.ArgsGradient => [Mutate(x), x],
            FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel => [x, Mutate(range), Mutate(range)],
            _ => [Mutate(x), x, Mutate(range), Mutate(range)],
        };

        var inputs = new List<FloatTensor?>();
        foreach (long[] s in shapes)
        {
            FloatTensor? t = Tensor(f, s);
            if (t is null)
            {
                return; // the constructor rejected the shape; that call was already counted
            }

            inputs.Add(t);
        }

        // Per-channel ranges from real-looking bounds most of the time.
        if (op.IsPerChannel || op.Kind is FakeQuantOpKind.Vars or FakeQuantOpKind.VarsGradient)
        {
            int first = op.Kind is FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel ? 1 : 2;
            for (int i = 0; i < inputs[first]!.Length && f.Chance(0.7); i++)
            {
                inputs[first]!.Span[i] = -(float)(f.Rng.NextDouble() * 8);
            }

            for (int i = 0; i < inputs[first + 1]!.Length && f.Chance(0.7); i++)
            {
                inputs[first + 1]!.Span[i] = (float)(f.Rng.NextDouble() * 8);
            }
        }

        bool malformed = false;
        if (f.Chance(0.02))
        {
            inputs[f.Rng.Next(inputs.Count)] = null;
            malformed = true;
        }

        if (f.Chance(0.02))
        {
            if (f.Chance(0.5) && inputs.Count > 0)
            {
                inputs.RemoveAt(inputs.Count - 1);
            }
            else
            {
                inputs.Add(inputs[0]);
            }

            malformed = true;
        }

        float min = f.Chance(0.7) ? -(float)(f.Rng.NextDouble() * 8) : f.Float();
        float max = f.Chance(0.7) ? (float)(f.Rng.NextDouble() * 8) : f.Float();
        var attrs = new FakeQuantAttrs(f.NumBits(), f.Chance(0.5), min, max);
        string? node = f.Chance(0.2) ? "fuzz/node_" + f.Int(0, 9) : null;
        bool byName = f.Chance(0.3);
        string? badName = f.Chance(0.01) ? f.Pick(new[] { "FakeQuantWithMinMax", "", "fakequantwithminmaxargs", "Relu" }) : null;

        string? expected = malformed ? null : CheckOrderModel.FirstFailure(op.Kind, attrs.NumBits, min, max,
            inputs.Select(t => t!.Shape.Dims.ToArray()).ToList(), node);
        float[][] before = malformed ? [] : inputs.Select(t => t!.GetArray().ToArray()).ToArray();
        var list = inputs.ToArray();

        f.Call("FakeQuantOps.Execute", () =>
        {
            FloatTensor[] outs;
            try
            {
                outs = badName is not null ? FakeQuantOps.Execute(badName, list!, attrs, node)
                    : byName ? FakeQuantOps.Execute(op.Name, list!, attrs, node)
                    : FakeQuantOps.Execute(op, list!, attrs, node);
            }
            catch (InvalidArgumentException ex) when (!malformed && badName is null)
            {
                if (ex.Message != expected)
                {
                    f.Wrong("FakeQuantOps.Execute", $"{op.Name}: text \"{ex.Message}\", SPEC order predicts \"{expected ?? "(valid)"}\"");
                }

                throw;
            }

            if (malformed || badName is not null || expected is not null)
            {
                f.Wrong("FakeQuantOps.Execute", $"{op.Name} accepted a call that should fail ({(malformed ? "malformed inputs" : badName ?? expected)})");
                return;
            }

            VerifyOutputs(f, op, attrs, before, list!, outs);
        }, ex => badName is not null ? ex is KeyNotFoundException || (byName && ex is ArgumentException)
            : malformed ? ex is ArgumentException and not InvalidArgumentException
            : ex is InvalidArgumentException);
    }

    private static void VerifyOutputs(FuzzContext f, FakeQuantOpDef op, FakeQuantAttrs attrs, float[][] before, FloatTensor[] inputs, FloatTensor[] outs)
    {
        float[][] reference = Oracle.Run(op.Kind, (int)attrs.NumBits, attrs.NarrowRange, attrs.Min, attrs.Max, before);
        if (outs.Length != reference.Length)
        {
            f.Wrong("FakeQuantOps.Execute", $"{op.Name}: {outs.Length} outputs");
            return;
        }

        for (int k = 0; k < outs.Length; k++)
        {
            ReadOnlySpan<float> a = outs[k].Span;
            if (a.Length != reference[k].Length)
            {
                f.Wrong("FakeQuantOps.Execute", $"{op.Name}: output {k} has {a.Length} elements, the reference {reference[k].Length}");
                return;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (!Same(a[i], reference[k][i]))
                {
                    f.Wrong("FakeQuantOps.Execute", $"{op.Name}: output {k}[{i}] = {a[i]:R}, reference {reference[k][i]:R}");
                    return;
                }
            }
        }

        for (int j = 0; j < inputs.Length; j++)
        {
            if (!BitsEqual(before[j], inputs[j].GetArray()))
            {
                f.Wrong("FakeQuantOps.Execute", $"{op.Name}: input {j} was modified");
            }
        }
    }

    public static bool Same(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    public static bool BitsEqual(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b));

    /// <summary>Partial shapes (unknown rank and dims) through the shape functions.</summary>
    public static void ShapeFunctions(FuzzContext f)
    {
        FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
        int count = f.Chance(0.03) ? f.Int(0, 5) : op.InputNames.Count;
        var shapes = new TensorShape[count];
        for (int i = 0; i < count; i++)
        {
            if (f.Chance(0.15))
            {
                shapes[i] = TensorShape.Unknown;
                continue;
            }

            long[] dims = f.Dims(64);
            for (int k = 0; k < dims.Length; k++)
            {
                if (f.Chance(0.2))
                {
                    dims[k] = TensorShape.UnknownDim;
                }
            }

            shapes[i] = TensorShape.Of(dims);
        }

        bool inferred = false;
        f.Call("ShapeInference.InferOutputShapes", () =>
        {
            TensorShape[] outs = ShapeInference.InferOutputShapes(op, shapes);
            inferred = true;
            if (count != op.InputNames.Count)
            {
                f.Wrong("ShapeInference.InferOutputShapes", $"accepted {count} input shapes for {op.Name}");
            }
            else if (outs.Length != op.OutputNames.Count || outs.Any(s => s is null))
            {
                f.Wrong("ShapeInference.InferOutputShapes", $"{op.Name}: {outs.Length} output shapes");
            }
        }, ex => count != op.InputNames.Count ? ex is ArgumentException and not InvalidArgumentException : ex is ShapeInferenceException);

        // Fully defined shapes that pass a shape function also pass the kernel's shape checks
        // (except ArgsGradient, whose shape function checks nothing); kernels may accept more.
        if (count == op.InputNames.Count && shapes.All(s => s.IsFullyDefined))
        {
            bool mustPass = inferred && op.Kind != FakeQuantOpKind.ArgsGradient;
            f.Call("KernelChecks.CheckShapes", () => KernelChecks.CheckShapes(op, shapes), ex => ex is InvalidArgumentException && !mustPass);
        }
    }

    /// <summary>Attr dictionaries of any value types, then the kernel's attr checks.</summary>
    public static void Attrs(FuzzContext f)
    {
        object[] values = [8L, 8, (short)8, 8.0, 8f, true, "8", f.NumBits(), (int)f.NumBitsInt(), f.Float(), (double)f.Float(), false, new object(), 3u];
        var dict = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string name in new[] { "num_bits", "narrow_range", "min", "max", "T" })
        {
            if (f.Chance(0.6))
            {
                dict[name] = f.Pick(values);
            }
        }

        FakeQuantAttrs? attrs = null;
        f.Call("FakeQuantAttrs.FromDictionary", () => attrs = FakeQuantAttrs.FromDictionary(dict), ex => ex is ArgumentException);
        if (attrs is not null)
        {
            FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
            f.Call("KernelChecks.CheckAttrs", () =>
            {
                int nb = KernelChecks.CheckAttrs(op, attrs);
                if (nb is < 2 or > 16)
                {
                    f.Wrong("KernelChecks.CheckAttrs", $"returned num_bits {nb}");
                }
            }, ex => ex is InvalidArgumentException);
            f.Call("FakeQuantAttrs.ToDictionary", () =>
            {
                FakeQuantAttrs back = FakeQuantAttrs.FromDictionary(attrs.ToDictionary(op));
                if (back.NumBits != attrs.NumBits || back.NarrowRange != attrs.NarrowRange ||
                    (op.HasRangeAttrs && (!Same(back.Min, attrs.Min) || !Same(back.Max, attrs.Max))))
                {
                    f.Wrong("FakeQuantAttrs.ToDictionary", $"round trip changed {attrs} into {back}");
                }
            }, _ => false);
        }
    }

    /// <summary>Shapes with overflowing element counts and allocation of too-large tensors.</summary>
    public static void ShapesAndSizes(FuzzContext f)
    {
        int rank = f.Int(0, 5);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = f.Int(0, 9) switch
            {
                0 => f.Pick(new[] { -2L, long.MinValue, -1L }),
                1 or 2 => f.Pick(new[] { 1L << 20, 1L << 31, 1L << 32, 1L << 40, 1L << 62, long.MaxValue, int.MaxValue, (long)Array.MaxLength + 1 }),
                3 => 0,
                _ => f.Int(1, 7),
            };
        }

        TensorShape? shape = null;
        f.Call("TensorShape.Of", () => shape = TensorShape.Of(dims), ex => ex is ArgumentOutOfRangeException && dims.Any(d => d < -1));
        if (shape is null)
        {
            return;
        }

        f.Call("TensorShape.NumElements", () => _ = shape.NumElements,
            ex => ex is OverflowException || (ex is InvalidOperationException && !shape.IsFullyDefined));
        f.Call("TensorShape.AsMatrix", () =>
        {
            (long rows, long channels) = shape.AsMatrix();
            if (shape.IsFullyDefined && rows * channels != shape.NumElements && shape.NumElements != 0)
            {
                f.Wrong("TensorShape.AsMatrix", $"{shape}: {rows} x {channels}");
            }
        }, ex => ex is OverflowException || (ex is InvalidOperationException && (shape.Rank < 1 || !shape.IsFullyDefined)));

        // Zeros must refuse (ArgumentException) anything one array cannot hold, before allocating.
        bool small = shape.IsFullyDefined && SafeCount(dims) is long n && n <= 1_000_000;
        if (small || f.Chance(0.5))
        {
            f.Call("FloatTensor.Zeros", () =>
            {
                FloatTensor t = FloatTensor.Zeros(shape);
                if (t.Length != shape.NumElements)
                {
                    f.Wrong("FloatTensor.Zeros", $"{shape}: {t.Length} elements");
                }
            }, ex => ex is ArgumentException && !small);
        }
    }

    private static long? SafeCount(long[] dims)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                return null;
            }

            try
            {
                n = checked(n * d);
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        return n;
    }
}
