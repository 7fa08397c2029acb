using NumSharp;
using TfFakeQuant.Eager;
using TfFakeQuant.Ops;

namespace TfFakeQuant.Fuzz;

/// <summary>
/// Fuzz target of eager mode: <see cref="EagerContext.Execute"/> with random op names, inputs
/// (NumSharp arrays of any rank, dtype float32/float64/int32, nulls) and attr dictionaries of any
/// value types, sometimes under a <see cref="GradientTape"/> whose gradient is then taken. A
/// successful FakeQuant call must equal the op level's bits; a failed one must carry the op
/// level's text.
/// </summary>
internal static class EagerTargets
{
    public static void Execute(FuzzContext f)
    {
        FakeQuantOpDef op = f.Pick(FakeQuantCatalog.All);
        string opType = f.Chance(0.02) ? f.Pick(new[] { "Relu", "", "fake_quant" }) : op.Name;
        long[] x = f.Dims(32, huge: false).Select(d => Math.Min(d, 5)).ToArray();
        long d = x.Length == 0 ? 1 : x[^1];
        long[] range = op.IsPerChannel ? [d] : [];
        long[] Mutate(long[] good) => f.Chance(0.08) ? f.Dims(8, huge: false).Select(v => Math.Min(v, 5)).ToArray() : good;
        long[][] shapes = op.Kind switch
        {
            FakeQuantOpKind.Args => [x],
            FakeQuantOpKind.ArgsGradient => [Mutate(x), x],
            FakeQuantOpKind.Vars or FakeQuantOpKind.VarsPerChannel => [x, Mutate(range), Mutate(range)],
            _ => [Mutate(x), x, Mutate(range), Mutate(range)],
        };

        var tensors = shapes.Select(s => new FloatTensor(TensorShape.Of(s), f.Floats((int)s.Aggregate(1L, (a, v) => a * v)))).ToArray();
        bool nonFloat = false;
        NDArray[] arrays = tensors.Select(t =>
        {
            NDArray a = FakeQuantOps.ToNDArray(t);
            if (f.Chance(0.03))
            {
                nonFloat = true;
                return a.astype(f.Chance(0.5) ? np.float64 : np.int32);
            }

            return a;
        }).ToArray();

        // Attrs: the right types mostly; sometimes another type or extreme values.
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal);
        bool badAttrType = false;
        object Attr(object good)
        {
            if (!f.Chance(0.03))
            {
                return good;
            }

            badAttrType = true;
            return f.Pick(new object[] { "8", 8.0, new object(), (short)3 });
        }

        long numBits = f.NumBits();
        bool narrow = f.Chance(0.5);
        float min = f.Chance(0.8) ? -(float)(f.Rng.NextDouble() * 8) : f.Float();
        float max = f.Chance(0.8) ? (float)(f.Rng.NextDouble() * 8) : f.Float();
        if (f.Chance(0.9)) attrs["num_bits"] = Attr(f.Chance(0.5) ? numBits : (object)(int)Math.Clamp(numBits, int.MinValue, int.MaxValue));
        if (f.Chance(0.9)) attrs["narrow_range"] = Attr(narrow);
        if (op.HasRangeAttrs && f.Chance(0.9)) attrs["min"] = Attr(min);
        if (op.HasRangeAttrs && f.Chance(0.9)) attrs["max"] = Attr(max);
        var effective = new FakeQuantAttrs(
            attrs.TryGetValue("num_bits", out object? nb) && nb is long or int ? Convert.ToInt64(nb, System.Globalization.CultureInfo.InvariantCulture) : FakeQuantCatalog.DefaultNumBits,
            attrs.TryGetValue("narrow_range", out object? nr) && nr is bool b && b,
            attrs.TryGetValue("min", out object? lo) && lo is float l ? l : FakeQuantCatalog.DefaultMin,
            attrs.TryGetValue("max", out object? hi) && hi is float h ? h : FakeQuantCatalog.DefaultMax);

        bool nullInput = f.Chance(0.01);
        if (nullInput)
        {
            arrays[f.Rng.Next(arrays.Length)] = null!;
        }

        FloatTensor[]? direct = null;
        string? directError = null;
        if (opType == op.Name && !badAttrType && !nullInput)
        {
            try
            {
                FloatTensor[] converted = nonFloat ? arrays.Select(FakeQuantOps.ToTensor).ToArray() : tensors;
                direct = FakeQuantOps.Execute(op, converted, effective);
            }
            catch (InvalidArgumentException ex)
            {
                directError = ex.Message;
            }
        }

        bool taped = f.Chance(0.3);
        f.Call("EagerContext.Execute", () =>
        {
            GradientTape? tape = taped ? new GradientTape(persistent: f.Chance(0.5)) : null;
            try
            {
                if (tape is not null)
                {
                    tape.watch(arrays.Where(a => a is not null));
                }

                NDArray[] outs;
                try
                {
                    outs = EagerContext.Default.Execute(opType, arrays, attrs);
                }
                catch (InvalidArgumentException ex) when (directError is not null && ex.Message != directError)
                {
                    f.Wrong("EagerContext.Execute", $"{op.Name}: eager text \"{ex.Message}\", op level \"{directError}\"");
                    throw;
                }

                if (direct is null)
                {
                    f.Wrong("EagerContext.Execute", $"{opType} ran although the op level rejects it ({directError ?? "bad name, attr type or null input"})");
                    return;
                }

                for (int k = 0; k < outs.Length; k++)
                {
                    FloatTensor got = FakeQuantOps.ToTensor(outs[k]);
                    if (!got.Shape.Equals(direct[k].Shape) || !Same(got.Span, direct[k].Span))
                    {
                        f.Wrong("EagerContext.Execute", $"{op.Name} output {k} differs from the op level");
                    }
                }

                if (tape is not null && !op.IsGradient && outs.Length > 0)
                {
                    NDArray?[] grads = tape.gradient(outs[0], (IReadOnlyList<NDArray>)arrays);
                    if (grads.Length != arrays.Length)
                    {
                        f.Wrong("GradientTape.gradient", $"{grads.Length} gradients for {arrays.Length} sources");
                    }
                }
            }
            finally
            {
                tape?.Dispose();
            }
        }, ex => ex is InvalidArgumentException || (opType != op.Name && ex is KeyNotFoundException or ArgumentException)
            || (badAttrType && ex is ArgumentException) || (nullInput && ex is ArgumentNullException));
    }

    private static bool Same(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!OpTargets.Same(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }
}
